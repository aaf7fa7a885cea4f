-- rule: booking_confirmed_requires_appointment
-- version: 6
-- function: dbguard.tg_calls__booking_requires_appointment()
-- guarantees: at commit, every call with booking_confirmed or appointment_made true has an appointment (appointments.call_id), whatever order the transaction wrote in.

-- Every write that makes a claim queues the check, the write with which
-- appointment_link_sync links a call included: the check itself looks for the
-- appointment, so no marker a session can set skips it. (A WHEN clause runs
-- with the writer's privileges, and the writer may execute no dbguard
-- function, so the fact cannot be looked up there.) No foreign key on
-- calls.appointment_id: its check would take KEY SHARE on the appointment each
-- time the link sync rewrites the call, which deadlocks with a concurrent
-- delete of that appointment (tests/test_link_sync_concurrency.py); the claim
-- is verified here, and link_status_mismatch reports a dangling appointment_id.
-- SQLSTATE 23Q03 (class 23). In 'correct'
-- the client also gets a WARNING with the enforce message, DETAIL and HINT.
-- The DETAIL names both places the check runs: where the deferred trigger
-- runs (commit, or SET CONSTRAINTS ... IMMEDIATE).

-- Deferred check at commit of a call's claim of a booking. Fired by writes
-- to calls that leave a claim, and by appointments leaving a call (delete,
-- call_id changed), so the check does not depend on appointment_link_sync.
-- Reads the call as it is at commit, not as the queued event saw it.
-- See docs/rules/booking_confirmed_requires_appointment.md.
CREATE OR REPLACE FUNCTION dbguard.tg_calls__booking_requires_appointment()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text := '{{ mode }}';
    v_call_id bigint;
    v_call public.calls;
    v_alert_type text;
    v_seen text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    IF TG_RELID NOT IN ('public.calls'::pg_catalog.regclass, 'public.appointments'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calls__booking_requires_appointment() is a trigger of public.calls and public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    -- Separate branches: OLD.call_id does not even parse for a calls row.
    IF TG_TABLE_NAME = 'calls' THEN
        v_call_id := NEW.id;
    ELSE
        v_call_id := OLD.call_id;
    END IF;
    IF v_call_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'calls' AND EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = v_call_id) THEN
        RETURN NULL;
    END IF;
    -- Lock, then read fresh: an appointment deleted by a session that
    -- committed meanwhile must count as gone.
    SELECT c.* INTO v_call FROM public.calls c WHERE c.id = v_call_id FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT (v_call.booking_confirmed OR v_call.appointment_made)
       OR EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = v_call_id) THEN
        RETURN NULL;
    END IF;

    v_message := pg_catalog.format('dbguard: call %s claims a booking (booking_confirmed = %s, appointment_made = %s) but has no appointment',
                                   v_call_id, v_call.booking_confirmed::text, v_call.appointment_made::text);
    v_detail := pg_catalog.format('Checked by rule booking_confirmed_requires_appointment (a deferred check: at commit, or at SET CONSTRAINTS ... IMMEDIATE): '
                                  'no row of public.appointments has call_id = %s (booking_id %s).',
                                  v_call_id, coalesce(pg_catalog.quote_literal(v_call.booking_id), 'NULL'));
    v_hint := pg_catalog.format('Create the appointment with call_id = %1$s in the same transaction, or take the claim back: '
                                'SELECT dbguard.rollback_booking_flags(%1$s, ''appointment_validation_failed''); '
                                '(or UPDATE public.calls SET booking_confirmed = false, appointment_made = false, '
                                'session_outcome = ''creation_failed'' WHERE id = %1$s).',
                                v_call_id);
    IF v_mode = 'enforce' THEN
        RAISE EXCEPTION USING MESSAGE = v_message, ERRCODE = '23Q03', DETAIL = v_detail,
                              HINT = v_hint, TABLE = 'calls';
    ELSIF v_mode = 'correct' THEN
        PERFORM dbguard.rollback_booking_flags(v_call_id, 'appointment_validation_failed',
                                               'booking_confirmed_requires_appointment');
        -- The enforce message, so a client's notice handler hears that the
        -- claim was taken back (the data has already been repaired).
        RAISE WARNING USING MESSAGE = v_message, ERRCODE = '23Q03', DETAIL = v_detail,
                            HINT = v_hint, TABLE = 'calls';
    ELSE
        -- Alert mode: one alert per call and transaction, however many
        -- writes to the call queued a check.
        v_seen := coalesce(pg_catalog.current_setting('dbguard.booking_alerted_calls', true), '');
        IF pg_catalog.strpos(v_seen, ',' || v_call_id || ',') > 0 THEN
            RETURN NULL;
        END IF;
        PERFORM pg_catalog.set_config('dbguard.booking_alerted_calls',
                                      coalesce(NULLIF(v_seen, ''), ',') || v_call_id || ',', true);
        v_alert_type := CASE WHEN v_call.booking_confirmed THEN 'confirmed_without_appointment' ELSE 'made_without_appointment' END;
        PERFORM dbguard.raise_alert(v_alert_type, 'critical', 'call', v_call_id::text,
            pg_catalog.format('call %s claims a booking (booking_confirmed = %s, appointment_made = %s) but has no appointment',
                              v_call_id, v_call.booking_confirmed::text, v_call.appointment_made::text),
            pg_catalog.jsonb_build_object('booking_confirmed', v_call.booking_confirmed,
                'appointment_made', v_call.appointment_made, 'session_outcome', v_call.session_outcome,
                'booking_id', v_call.booking_id, 'actor', NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'source', NULLIF(pg_catalog.current_setting('dbguard.source', true), '')),
            'trigger', false, 'booking_confirmed_requires_appointment');
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_calls__booking_requires_appointment() FROM PUBLIC;

-- Constraint triggers cannot be CREATE OR REPLACE'd: drop and create.
-- Both flags are NOT NULL, so NOT (...) is never NULL.
DROP TRIGGER IF EXISTS dbguard_900_booking_confirmed_requires_appointment ON public.calls;
CREATE CONSTRAINT TRIGGER dbguard_900_booking_confirmed_requires_appointment
    AFTER UPDATE ON public.calls
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN ((NEW.booking_confirmed OR NEW.appointment_made)
          AND NOT (OLD.booking_confirmed OR OLD.appointment_made))
    EXECUTE FUNCTION dbguard.tg_calls__booking_requires_appointment();

-- appointment_link_sync never inserts a call: no marker test here.
DROP TRIGGER IF EXISTS dbguard_900_booking_confirmed_requires_appointment_insert ON public.calls;
CREATE CONSTRAINT TRIGGER dbguard_900_booking_confirmed_requires_appointment_insert
    AFTER INSERT ON public.calls
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.booking_confirmed OR NEW.appointment_made)
    EXECUTE FUNCTION dbguard.tg_calls__booking_requires_appointment();

DROP TRIGGER IF EXISTS dbguard_900_booking_confirmed_requires_appointment ON public.appointments;
CREATE CONSTRAINT TRIGGER dbguard_900_booking_confirmed_requires_appointment
    AFTER UPDATE OF call_id OR DELETE ON public.appointments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.call_id IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_calls__booking_requires_appointment();
