ALTER TABLE public.calls DROP CONSTRAINT IF EXISTS dbguard_calls_appointment_fk;
