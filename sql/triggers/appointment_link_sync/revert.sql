-- Removes every version of appointment_link_sync.
DROP TRIGGER IF EXISTS dbguard_600_appointment_link_sync ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_600_appointment_link_sync ON public.calls;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__link_sync();
SELECT dbguard.unregister_rule('appointment_link_sync');
