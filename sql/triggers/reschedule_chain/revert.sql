-- Removes every version of reschedule_chain.
DROP TRIGGER IF EXISTS dbguard_400_reschedule_chain_update ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_400_reschedule_chain ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__reschedule_chain();
SELECT dbguard.unregister_rule('reschedule_chain');
