-- rule: reschedule_metadata
-- version: 4
-- function: dbguard.tg_appointments__reschedule_metadata()
-- guarantees: moving an appointment (starts_at changed from one time to another) sets rescheduled_at, rescheduled_by (explicit, else dbguard.actor, else 'system') and rescheduled_by_user_id (dbguard.user_id); ends_at keeps the duration unless also given.

-- Records who moved an appointment and when, and moves its end with it.
-- Values the statement itself writes win over the derived ones.
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__reschedule_metadata()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('reschedule_metadata');
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__reschedule_metadata() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_mode = 'off' THEN
        RETURN NEW;
    END IF;
    IF NEW.rescheduled_at IS NOT DISTINCT FROM OLD.rescheduled_at THEN
        NEW.rescheduled_at := pg_catalog.now();
    END IF;
    IF NEW.rescheduled_by IS NOT DISTINCT FROM OLD.rescheduled_by THEN
        NEW.rescheduled_by := coalesce(NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'system');
    END IF;
    IF NEW.rescheduled_by_user_id IS NOT DISTINCT FROM OLD.rescheduled_by_user_id THEN
        -- The user of this reschedule, or NULL: an earlier reschedule's user is not this one.
        NEW.rescheduled_by_user_id := CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN dbguard.acting_user_id() END;
    END IF;
    IF NEW.ends_at IS NOT DISTINCT FROM OLD.ends_at AND OLD.ends_at IS NOT NULL THEN
        NEW.ends_at := NEW.starts_at + (OLD.ends_at - OLD.starts_at);
    END IF;
    IF NOT (NEW.rescheduled_by IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'actor' AND v.code = NEW.rescheduled_by)) THEN
        NEW.rescheduled_by := dbguard.vocabulary_value('reschedule_metadata', v_mode, 'actor', NEW.rescheduled_by, 'unknown',
                                                       'appointment', 'public.appointments', 'rescheduled_by', NEW.id::text);
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__reschedule_metadata() FROM PUBLIC;

-- A reschedule moves a known time to another known time; setting the first
-- time, or clearing it, is not one.
CREATE OR REPLACE TRIGGER dbguard_300_reschedule_metadata
    BEFORE UPDATE ON public.appointments
    FOR EACH ROW
    WHEN (NEW.starts_at IS DISTINCT FROM OLD.starts_at AND OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_appointments__reschedule_metadata();
