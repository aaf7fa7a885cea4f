-- Removes every version of host_mapping_audit. The audit rows stay.
DROP TRIGGER IF EXISTS dbguard_800_host_mapping_audit ON public.calcom_host_mappings;
DROP TRIGGER IF EXISTS dbguard_800_host_mapping_audit_truncate ON public.calcom_host_mappings;
DROP FUNCTION IF EXISTS dbguard.tg_calcom_host_mappings__audit();
SELECT dbguard.unregister_rule('host_mapping_audit');
