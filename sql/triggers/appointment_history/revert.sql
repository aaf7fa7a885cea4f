-- Removes every version of appointment_history (the recorded history stays).
DROP TRIGGER IF EXISTS dbguard_800_appointment_history_update ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_800_appointment_history ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__history();
SELECT dbguard.unregister_rule('appointment_history');
