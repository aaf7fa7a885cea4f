-- Removes every version of lead_rollup.
DROP TRIGGER IF EXISTS dbguard_700_lead_rollup_update ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_700_lead_rollup_delete ON public.appointments;
DROP TRIGGER IF EXISTS dbguard_700_lead_rollup ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__lead_rollup();
SELECT dbguard.unregister_rule('lead_rollup');
