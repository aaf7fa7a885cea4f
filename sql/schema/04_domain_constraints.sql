-- Constraints are added NOT VALID: they hold for every new or changed row at
-- once, without a long scan of existing rows under lock. Legacy rows that
-- break them are what `dbguard check` reports and `reconcile` repairs.
-- Vocabulary columns get no foreign keys here: the rules check them and name
-- the column, the value and the allowed values (a bare FK error would not).

SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_ends_after_starts',
    'CHECK (ends_at > starts_at) NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_not_own_predecessor',
    'CHECK (rescheduled_from_id <> id) NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.calls', 'dbguard_calls_customer_link_confidence_range',
    'CHECK (customer_link_confidence BETWEEN 0 AND 100) NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.calcom_host_mappings', 'dbguard_host_mappings_confidence_range',
    'CHECK (confidence_score BETWEEN 0 AND 100) NOT VALID');

-- References between domain rows. ON DELETE SET NULL: deleting a parent never
-- deletes appointments or calls (history and audit tables have no FK at all).
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_call_fk',
    'FOREIGN KEY (call_id) REFERENCES public.calls (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_lead_fk',
    'FOREIGN KEY (lead_id) REFERENCES public.leads (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_customer_fk',
    'FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_service_fk',
    'FOREIGN KEY (service_id) REFERENCES public.services (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_staff_fk',
    'FOREIGN KEY (staff_id) REFERENCES public.staff (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.appointments', 'dbguard_appointments_rescheduled_from_fk',
    'FOREIGN KEY (rescheduled_from_id) REFERENCES public.appointments (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.calls', 'dbguard_calls_customer_fk',
    'FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.leads', 'dbguard_leads_customer_fk',
    'FOREIGN KEY (customer_id) REFERENCES public.customers (id) ON DELETE SET NULL NOT VALID');
SELECT dbguard.add_constraint_if_missing('public.calcom_host_mappings', 'dbguard_host_mappings_staff_fk',
    'FOREIGN KEY (staff_id) REFERENCES public.staff (id) ON DELETE CASCADE NOT VALID');
