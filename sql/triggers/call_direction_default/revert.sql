-- Removes every version of call_direction_default.
DROP TRIGGER IF EXISTS dbguard_100_call_direction_default ON public.calls;
DROP FUNCTION IF EXISTS dbguard.tg_calls__direction_default();
SELECT dbguard.unregister_rule('call_direction_default');
