-- rule: reschedule_metadata
-- version: 5
-- tables: appointments
-- timing: before update of starts_at on appointments
-- guarantees: moving an appointment (starts_at changed from one time to another) sets rescheduled_at, rescheduled_by (explicit, else dbguard.actor, else 'system') and rescheduled_by_user_id (dbguard.user_id); ends_at keeps the duration unless also given.
-- modes: off: nothing is filled or checked; alert, correct and enforce fill the columns, and an unknown rescheduled_by goes through dbguard.vocabulary_value in the rule's mode (alert: kept and alerted; correct: its case/blank variant, else refused (23Q02); enforce: refused (23Q02)).

-- Records who moved an appointment and when, and moves its end with it.
-- Values the statement itself writes win over the derived ones.
-- A reschedule moves a known time to another known time; setting the first
-- time, or clearing it, is not one.

-- fragment: appointments before row 300
-- update of: starts_at
-- update when: OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL
DECLARE
    v_mode constant pg_catalog.text := '{{ mode }}';
BEGIN
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
                                                       'appointment', 'public.appointments', 'rescheduled_by', NEW.id::pg_catalog.text);
    END IF;
    RETURN NEW;
END
