-- transactional: false
-- Indexes are built CONCURRENTLY so that installing onto a live database does
-- not block writes; that needs one statement per step, outside a transaction.
-- A killed build leaves an INVALID index: drop_invalid_index clears it first.
-- Unique keys make replayed provider webhooks idempotent (ON CONFLICT); NULLs
-- stay allowed any number of times.

SELECT dbguard.assert_unique('public.calls', ARRAY['retell_call_id']);
SELECT dbguard.drop_invalid_index('public.dbguard_calls_retell_call_id_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dbguard_calls_retell_call_id_key ON public.calls (retell_call_id);

SELECT dbguard.assert_unique('public.appointments', ARRAY['calcom_v2_booking_id']);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_calcom_v2_booking_id_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_calcom_v2_booking_id_key ON public.appointments (calcom_v2_booking_id);

SELECT dbguard.assert_unique('public.appointments', ARRAY['ghl_appointment_id']);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_ghl_appointment_id_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_ghl_appointment_id_key ON public.appointments (ghl_appointment_id);

SELECT dbguard.assert_unique('public.appointments', ARRAY['calendly_invitee_uri']);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_calendly_invitee_uri_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_calendly_invitee_uri_key ON public.appointments (calendly_invitee_uri);

SELECT dbguard.assert_unique('public.customers', ARRAY['company_id', 'email']);
SELECT dbguard.drop_invalid_index('public.dbguard_customers_company_email_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dbguard_customers_company_email_key ON public.customers (company_id, email);

SELECT dbguard.assert_unique('public.calcom_host_mappings', ARRAY['calcom_host_id', 'staff_id']);
SELECT dbguard.drop_invalid_index('public.dbguard_host_mappings_host_staff_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS dbguard_host_mappings_host_staff_key ON public.calcom_host_mappings (calcom_host_id, staff_id);

SELECT dbguard.drop_invalid_index('public.dbguard_appointments_call_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_call_id_idx ON public.appointments (call_id);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_lead_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_lead_id_idx ON public.appointments (lead_id);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_customer_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_customer_id_idx ON public.appointments (customer_id);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_rescheduled_from_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_rescheduled_from_id_idx ON public.appointments (rescheduled_from_id);
SELECT dbguard.drop_invalid_index('public.dbguard_appointments_created_at_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointments_created_at_idx ON public.appointments (created_at);
SELECT dbguard.drop_invalid_index('public.dbguard_calls_created_at_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_calls_created_at_idx ON public.calls (created_at);
SELECT dbguard.drop_invalid_index('public.dbguard_calls_booking_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_calls_booking_id_idx ON public.calls (booking_id);
SELECT dbguard.drop_invalid_index('public.dbguard_staff_company_email_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_staff_company_email_idx ON public.staff (company_id, lower(email));
SELECT dbguard.drop_invalid_index('public.dbguard_host_mappings_staff_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_host_mappings_staff_id_idx ON public.calcom_host_mappings (staff_id);
SELECT dbguard.drop_invalid_index('public.dbguard_appointment_events_appointment_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointment_events_appointment_id_idx ON public.appointment_events (appointment_id, occurred_at);
SELECT dbguard.drop_invalid_index('public.dbguard_appointment_events_occurred_at_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_appointment_events_occurred_at_idx ON public.appointment_events (occurred_at);
SELECT dbguard.drop_invalid_index('public.dbguard_host_mapping_audits_mapping_id_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS dbguard_host_mapping_audits_mapping_id_idx ON public.calcom_host_mapping_audits (mapping_id, changed_at);
