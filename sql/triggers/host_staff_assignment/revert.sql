-- Removes every version of host_staff_assignment.
DROP TRIGGER IF EXISTS dbguard_450_host_staff_assignment ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__host_staff_assignment();
SELECT dbguard.unregister_rule('host_staff_assignment');
