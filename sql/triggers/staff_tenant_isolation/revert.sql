-- Removes every version of staff_tenant_isolation.
DROP TRIGGER IF EXISTS dbguard_500_staff_tenant_isolation ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_500_staff_tenant_isolation ON public.calcom_host_mappings;
DROP FUNCTION IF EXISTS dbguard.tg_staff__tenant_isolation();
SELECT dbguard.unregister_rule('staff_tenant_isolation');
