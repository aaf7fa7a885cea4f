-- Removes every version of pii_redaction (stored values stay redacted).
DROP TRIGGER IF EXISTS dbguard_150_pii_redaction_update ON public.appointment_events;
DROP TRIGGER IF EXISTS dbguard_150_pii_redaction ON public.appointment_events;
DROP TRIGGER IF EXISTS dbguard_150_pii_redaction_update ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_150_pii_redaction ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_json__pii_redaction();
SELECT dbguard.unregister_rule('pii_redaction');
