-- rule: appointment_history
-- version: 9
-- function: dbguard.tg_appointments__history()
-- guarantees: every lifecycle change of an appointment (created, status_changed, cancelled, reactivated, rescheduled, lead_changed, deleted) writes one appointment_events row with old and new status/start, actor, source, user_id, lead_id, call_id and details; an update that changes none of them writes nothing; an appointment's id cannot change (its history would be orphaned, or merged into another id's).

-- Appends the history of an appointment. SECURITY DEFINER: the application
-- role has no INSERT on public.appointment_events, so history cannot be forged
-- or skipped by the application. Actor: the row's own column for the event
-- (created_by, cancelled_by, rescheduled_by), else dbguard.actor, else
-- 'unknown' (created) / 'system'; source: dbguard.source, else the booking
-- source for 'created'; user_id: the row's *_user_id, else dbguard.user_id.
-- occurred_at: the time the row itself gives for the change (created_at,
-- cancelled_at, status_changed_at, rescheduled_at when the statement wrote
-- it), so that imported rows keep their own history times; never later than
-- now() and never NULL; an event recorded at an earlier time than now() keeps
-- the time it was written in details.recorded_at (the row's times are the
-- application's claim, the history's write time is not). A row inserted
-- already cancelled writes 'created' and then 'cancelled' (at its cancelled_at,
-- not before its creation).
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__history()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_actor pg_catalog.text;
    v_source pg_catalog.text;
    v_user bigint;
    v_reason pg_catalog.text;
    v_events pg_catalog.jsonb;
    v_row public.appointments;
    v_event pg_catalog.text;
BEGIN
    -- Runs as its owner: only on the table(s) it was written for.
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__history() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF TG_WHEN = 'BEFORE' THEN
        -- The only BEFORE trigger of the rule: an UPDATE of the id.
        PERFORM dbguard.rule_violation('appointment_history',
            '{{ 'alert' if mode == 'alert' else 'enforce' }}', '23Q07', 'appointment_id_changed',
            'appointment', OLD.id::pg_catalog.text,
            pg_catalog.format('dbguard: public.appointments row %s: id cannot change (to %s)', OLD.id, NEW.id),
            'rule appointment_history: the history of an appointment (public.appointment_events) is kept by its id; '
            'a new id would orphan it, or merge it with the history of another appointment that had that id.',
            'Keep the id; put an outside identifier into external_id or a provider id column instead.',
            pg_catalog.jsonb_build_object('old_id', OLD.id, 'new_id', NEW.id),
            'public.appointments', 'id');
        RETURN NEW;
    END IF;

    IF TG_LEVEL = 'STATEMENT' THEN
        -- The inserted rows, in the order they were written. The predecessor's
        -- start is read only for a successor; the user id once per statement,
        -- after the mode check ('off' must not fail on a bad setting).
        INSERT INTO public.appointment_events
            (appointment_id, lead_id, call_id, event, old_status, new_status, old_starts_at, new_starts_at,
             actor, source, user_id, occurred_at, details)
        SELECT n.id, n.lead_id, n.call_id, 'created', NULL, n.status,
               -- a successor shows the time it replaces
               CASE WHEN n.rescheduled_from_id IS NOT NULL THEN
                   (SELECT a.starts_at FROM public.appointments a WHERE a.id = n.rescheduled_from_id) END,
               n.starts_at,
               coalesce(n.created_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'unknown'),
               coalesce(NULLIF(pg_catalog.current_setting('dbguard.source', true), ''), n.booking_source),
               CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN (SELECT dbguard.acting_user_id()) END,
               LEAST(coalesce(n.created_at, pg_catalog.now()), pg_catalog.now()),
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'booking_source', n.booking_source, 'provider', n.provider, 'ends_at', n.ends_at,
                   'rescheduled_from_id', n.rescheduled_from_id,
                   'reason', NULLIF(pg_catalog.current_setting('dbguard.reason', true), ''),
                   'recorded_at', CASE WHEN n.created_at < pg_catalog.now() THEN pg_catalog.now() END))
          FROM dbguard_new_rows n;
        -- Rows inserted already cancelled (an import of old rows): the
        -- cancellation, at the row's cancelled_at. Looked for first: a booking
        -- has none, and the INSERT's start-up costs more than the look.
        IF NOT EXISTS (SELECT 1 FROM dbguard_new_rows n WHERE n.status = 'cancelled') THEN
            RETURN NULL;
        END IF;
        INSERT INTO public.appointment_events
            (appointment_id, lead_id, call_id, event, old_status, new_status, old_starts_at, new_starts_at,
             actor, source, user_id, occurred_at, details)
        SELECT n.id, n.lead_id, n.call_id, 'cancelled', NULL, n.status, NULL, n.starts_at,
               coalesce(n.cancelled_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'system'),
               NULLIF(pg_catalog.current_setting('dbguard.source', true), ''),
               coalesce(n.cancelled_by_user_id,
                        CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN (SELECT dbguard.acting_user_id()) END),
               GREATEST(LEAST(coalesce(n.created_at, pg_catalog.now()), pg_catalog.now()),
                        LEAST(coalesce(n.cancelled_at, pg_catalog.now()), pg_catalog.now())),
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'cancelled_at', n.cancelled_at, 'cancellation_reason', n.cancellation_reason,
                   'reason', NULLIF(pg_catalog.current_setting('dbguard.reason', true), ''),
                   'recorded_at', CASE WHEN n.created_at < pg_catalog.now() OR n.cancelled_at < pg_catalog.now()
                                       THEN pg_catalog.now() END))
          FROM dbguard_new_rows n
         WHERE n.status = 'cancelled';
        RETURN NULL;
    END IF;

    v_actor := NULLIF(pg_catalog.current_setting('dbguard.actor', true), '');
    v_source := NULLIF(pg_catalog.current_setting('dbguard.source', true), '');
    v_user := CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN dbguard.acting_user_id() END;
    v_reason := NULLIF(pg_catalog.current_setting('dbguard.reason', true), '');
    v_events := '[]';
    IF TG_OP = 'DELETE' THEN
        v_row := OLD;
        v_events := v_events || pg_catalog.jsonb_build_object(
            'event', 'deleted', 'old_status', OLD.status, 'old_starts_at', OLD.starts_at, 'occurred_at', pg_catalog.now(),
            'actor', coalesce(v_actor, 'system'), 'source', v_source, 'user_id', v_user,
            'details', pg_catalog.jsonb_build_object(
                'booking_source', OLD.booking_source, 'provider', OLD.provider, 'ends_at', OLD.ends_at,
                'rescheduled_from_id', OLD.rescheduled_from_id));
    ELSE
        v_row := NEW;
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            v_event := CASE WHEN NEW.status = 'cancelled' THEN 'cancelled'
                            WHEN OLD.status = 'cancelled' THEN 'reactivated'
                            ELSE 'status_changed' END;
            v_events := v_events || pg_catalog.jsonb_build_object(
                'event', v_event, 'old_status', OLD.status, 'new_status', NEW.status,
                'old_starts_at', OLD.starts_at, 'new_starts_at', NEW.starts_at,
                'occurred_at', LEAST(coalesce(CASE WHEN v_event = 'cancelled' THEN NEW.cancelled_at
                                                   WHEN NEW.status_changed_at IS DISTINCT FROM OLD.status_changed_at
                                                   THEN NEW.status_changed_at END,
                                              pg_catalog.now()), pg_catalog.now()),
                'actor', CASE WHEN v_event = 'cancelled' THEN coalesce(NEW.cancelled_by, v_actor, 'system')
                              ELSE coalesce(v_actor, 'system') END,
                'source', v_source,
                'user_id', CASE WHEN v_event = 'cancelled' THEN coalesce(NEW.cancelled_by_user_id, v_user) ELSE v_user END,
                'details', CASE v_event
                    WHEN 'cancelled' THEN pg_catalog.jsonb_build_object(
                        'cancelled_at', NEW.cancelled_at, 'cancellation_reason', NEW.cancellation_reason)
                    WHEN 'reactivated' THEN pg_catalog.jsonb_build_object(
                        'previous_cancelled_at', OLD.cancelled_at, 'previous_cancelled_by', OLD.cancelled_by,
                        'previous_cancelled_by_user_id', OLD.cancelled_by_user_id,
                        'previous_cancellation_reason', OLD.cancellation_reason)
                    ELSE '{}'::pg_catalog.jsonb END);
        END IF;
        IF NEW.starts_at IS DISTINCT FROM OLD.starts_at THEN
            v_events := v_events || pg_catalog.jsonb_build_object(
                'event', 'rescheduled', 'old_status', OLD.status, 'new_status', NEW.status,
                'old_starts_at', OLD.starts_at, 'new_starts_at', NEW.starts_at,
                'occurred_at', LEAST(coalesce(CASE WHEN NEW.rescheduled_at IS DISTINCT FROM OLD.rescheduled_at
                                                   THEN NEW.rescheduled_at END,
                                              pg_catalog.now()), pg_catalog.now()),
                'actor', CASE WHEN OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL
                              THEN coalesce(NEW.rescheduled_by, v_actor, 'system')
                              ELSE coalesce(v_actor, 'system') END,
                'source', v_source,
                'user_id', coalesce(CASE WHEN OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL
                                         THEN NEW.rescheduled_by_user_id END, v_user),
                'details', pg_catalog.jsonb_build_object('old_ends_at', OLD.ends_at, 'new_ends_at', NEW.ends_at));
        END IF;
        IF NEW.lead_id IS DISTINCT FROM OLD.lead_id THEN
            v_events := v_events || pg_catalog.jsonb_build_object(
                'event', 'lead_changed', 'old_status', OLD.status, 'new_status', NEW.status,
                'old_starts_at', OLD.starts_at, 'new_starts_at', NEW.starts_at, 'occurred_at', pg_catalog.now(),
                'actor', coalesce(v_actor, 'system'), 'source', v_source, 'user_id', v_user,
                'details', pg_catalog.jsonb_build_object('old_lead_id', OLD.lead_id, 'new_lead_id', NEW.lead_id));
        END IF;
    END IF;

    INSERT INTO public.appointment_events
        (appointment_id, lead_id, call_id, event, old_status, new_status, old_starts_at, new_starts_at,
         actor, source, user_id, occurred_at, details)
    SELECT v_row.id, v_row.lead_id, v_row.call_id, x.e ->> 'event', x.e ->> 'old_status', x.e ->> 'new_status',
           (x.e ->> 'old_starts_at')::pg_catalog.timestamptz, (x.e ->> 'new_starts_at')::pg_catalog.timestamptz,
           x.e ->> 'actor', x.e ->> 'source', (x.e ->> 'user_id')::bigint,
           (x.e ->> 'occurred_at')::pg_catalog.timestamptz,
           pg_catalog.jsonb_strip_nulls((x.e -> 'details') || pg_catalog.jsonb_build_object('reason', v_reason,
               'recorded_at', CASE WHEN (x.e ->> 'occurred_at')::pg_catalog.timestamptz < pg_catalog.now()
                                   THEN pg_catalog.now() END))
      FROM pg_catalog.jsonb_array_elements(v_events) WITH ORDINALITY AS x(e, ord)
     ORDER BY x.ord;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__history() FROM PUBLIC;

CREATE OR REPLACE TRIGGER dbguard_050_appointment_history_id
    BEFORE UPDATE OF id ON public.appointments
    FOR EACH ROW
    WHEN (NEW.id IS DISTINCT FROM OLD.id)
    EXECUTE FUNCTION dbguard.tg_appointments__history();

-- One statement trigger for inserts (above), row triggers for the rest.
CREATE OR REPLACE TRIGGER dbguard_800_appointment_history_insert
    AFTER INSERT ON public.appointments
    REFERENCING NEW TABLE AS dbguard_new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_appointments__history();

CREATE OR REPLACE TRIGGER dbguard_800_appointment_history_delete
    AFTER DELETE ON public.appointments
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_appointments__history();

-- Only lifecycle changes: a replayed webhook that changes nothing writes no history.
CREATE OR REPLACE TRIGGER dbguard_800_appointment_history_update
    AFTER UPDATE ON public.appointments
    FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status
          OR NEW.starts_at IS DISTINCT FROM OLD.starts_at
          OR NEW.lead_id IS DISTINCT FROM OLD.lead_id)
    EXECUTE FUNCTION dbguard.tg_appointments__history();
