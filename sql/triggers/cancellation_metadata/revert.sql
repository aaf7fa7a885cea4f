-- Removes every version of cancellation_metadata.
DROP TRIGGER IF EXISTS dbguard_200_cancellation_metadata_update ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_200_cancellation_metadata ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__cancellation_metadata();
SELECT dbguard.unregister_rule('cancellation_metadata');
