-- calls.appointment_id names an existing appointment. NOT VALID: enforced for
-- every new or changed row at once without scanning legacy rows under lock;
-- validated right away when no legacy row breaks it (the validation takes only
-- a SHARE UPDATE EXCLUSIVE lock, writers go on). Legacy rows that break it are
-- reported by the link_status_mismatch scan. ON DELETE SET NULL: deleting an
-- appointment clears the reference (appointment_link_sync then relinks the
-- call to its remaining newest appointment, or unlinks it).
SELECT dbguard.add_constraint_if_missing('public.calls', 'dbguard_calls_appointment_fk',
    'FOREIGN KEY (appointment_id) REFERENCES public.appointments (id) ON DELETE SET NULL NOT VALID');

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.calls c
                    WHERE c.appointment_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM public.appointments a WHERE a.id = c.appointment_id)) THEN
        ALTER TABLE public.calls VALIDATE CONSTRAINT dbguard_calls_appointment_fk;
    END IF;
END
$$;
