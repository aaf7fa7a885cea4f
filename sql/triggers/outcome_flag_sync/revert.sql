-- Removes every version of outcome_flag_sync.
DROP TRIGGER IF EXISTS dbguard_300_outcome_flag_sync ON public.calls;
DROP FUNCTION IF EXISTS dbguard.tg_calls__outcome_flag_sync();
SELECT dbguard.unregister_rule('outcome_flag_sync');
