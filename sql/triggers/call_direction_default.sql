-- rule: call_direction_default
-- version: 6
-- function: dbguard.tg_calls__direction_default()
-- guarantees: a call inserted without a direction gets direction 'inbound'; calls.direction only holds call_direction values.

-- Fills the default direction of a new call and keeps calls.direction inside
-- its vocabulary (see docs/rules/call_direction_default.md for each mode).
CREATE OR REPLACE FUNCTION dbguard.tg_calls__direction_default()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('call_direction_default');
BEGIN
    IF TG_RELID <> 'public.calls'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calls__direction_default() is a trigger of public.calls only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_mode = 'off' OR (TG_OP = 'UPDATE' AND NEW.direction IS NOT DISTINCT FROM OLD.direction) THEN
        RETURN NEW;
    END IF;
    IF NEW.direction IS NULL THEN
        -- Only a new call gets the default: clearing the direction later is
        -- a deliberate write, reported by the call_missing_direction scan.
        IF TG_OP = 'INSERT' THEN
            IF v_mode = 'alert' THEN
                PERFORM dbguard.raise_alert('call_missing_direction', 'warning', 'call', NEW.id::text,
                    pg_catalog.format('call %s was inserted without a direction (correct mode would store inbound)', NEW.id),
                    '{}'::jsonb, 'trigger', false, 'call_direction_default');
            ELSE
                NEW.direction := 'inbound';
            END IF;
        END IF;
        RETURN NEW;
    END IF;
    -- A direction nobody recognises is "not known", like NULL: inbound.
    IF NOT (NEW.direction IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'call_direction' AND v.code = NEW.direction)) THEN
        NEW.direction := dbguard.vocabulary_value('call_direction_default', v_mode, 'call_direction', NEW.direction,
                                                  'inbound', 'call', 'public.calls', 'direction', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_calls__direction_default() FROM PUBLIC;

-- "IS NOT TRUE", not NOT: a NULL direction must fire the trigger.
CREATE OR REPLACE TRIGGER dbguard_100_call_direction_default
    BEFORE INSERT OR UPDATE OF direction ON public.calls
    FOR EACH ROW
    WHEN ((NEW.direction IN ('inbound', 'outbound')) IS NOT TRUE)
    EXECUTE FUNCTION dbguard.tg_calls__direction_default();
