-- Removes every version of reschedule_metadata.
DROP TRIGGER IF EXISTS dbguard_300_reschedule_metadata ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__reschedule_metadata();
SELECT dbguard.unregister_rule('reschedule_metadata');
