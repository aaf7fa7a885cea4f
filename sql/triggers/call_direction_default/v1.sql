-- rule: call_direction_default
-- version: 1
-- function: dbguard.tg_calls__direction_default()
-- guarantees: a call inserted without a direction gets direction 'inbound'.

-- Fills the default direction of a new call.
CREATE OR REPLACE FUNCTION dbguard.tg_calls__direction_default()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF dbguard.rule_mode('call_direction_default') <> 'off' THEN
        NEW.direction := 'inbound';
    END IF;
    RETURN NEW;
END
$$;

-- WHEN keeps rows that already carry a direction from calling the function at all.
CREATE OR REPLACE TRIGGER dbguard_100_call_direction_default
    BEFORE INSERT ON public.calls
    FOR EACH ROW
    WHEN (NEW.direction IS NULL)
    EXECUTE FUNCTION dbguard.tg_calls__direction_default();
