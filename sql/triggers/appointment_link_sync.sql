-- rule: appointment_link_sync
-- version: 8
-- function: dbguard.tg_appointments__link_sync()
-- guarantees: a call's appointment_link_status, appointment_linked_at, appointment_id, appointment_made and session_outcome follow the appointments that exist for it; calls.appointment_link_status inside its vocabulary.

-- On appointments (after insert, update of call_id, delete): brings every
-- call that gained or lost an appointment in line with the appointments it
-- has now. On calls (before insert/update of appointment_link_status): keeps
-- the status inside its vocabulary; a new call without one is 'unlinked'. See docs/rules/appointment_link_sync.md.
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__link_sync()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text := '{{ mode }}';
    v_call_ids bigint[];
    v_call_id bigint;
    v_call public.calls;
    v_appointment_id bigint;
    v_status text;
    v_linked_at timestamptz;
    v_outcome text;
    v_marker text;
BEGIN
    IF TG_RELID NOT IN ('public.appointments'::pg_catalog.regclass, 'public.calls'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__link_sync() is a trigger of public.appointments and public.calls only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;

    IF TG_TABLE_NAME = 'calls' THEN
        IF TG_OP = 'INSERT' AND NEW.appointment_link_status IS NULL THEN
            -- A new call has no appointment yet (the foreign key guarantees
            -- it): 'unlinked' is the only value it can derive, in every mode.
            -- Filling a derived value is maintenance, not a repair: no alert
            -- (an import of calls would otherwise record one per row).
            NEW.appointment_link_status := 'unlinked';
        ELSIF NOT (NEW.appointment_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.appointment_link_status)) THEN
            -- An unknown status is treated as not given: derived from the appointments.
            NEW.appointment_link_status := dbguard.vocabulary_value('appointment_link_sync', v_mode, 'link_status',
                NEW.appointment_link_status,
                CASE WHEN EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = NEW.id) THEN 'linked' ELSE 'unlinked' END,
                'call', 'public.calls', 'appointment_link_status', NEW.id::text);
        END IF;
        RETURN NEW;
    END IF;

    IF TG_OP = 'INSERT' AND v_mode <> 'alert' THEN
        SELECT c.appointment_link_status INTO v_status FROM public.calls c WHERE c.id = NEW.call_id FOR NO KEY UPDATE OF c;
        UPDATE public.calls c
           SET appointment_link_status = 'linked',
               appointment_linked_at = CASE WHEN c.appointment_id = s.newest AND c.appointment_link_status = 'linked'
                                            THEN coalesce(c.appointment_linked_at, pg_catalog.now())
                                            ELSE pg_catalog.now() END,
               appointment_id = s.newest,
               appointment_made = true,
               session_outcome = 'appointment_booked',
               updated_at = pg_catalog.now()
          FROM (SELECT max(a.id) AS newest,
                       -- set before the call's row is written, so its triggers see it
                       pg_catalog.set_config('dbguard.linking_call', NEW.call_id::text, true) AS marker
                  FROM public.appointments a WHERE a.call_id = NEW.call_id) s
         WHERE c.id = NEW.call_id AND s.newest IS NOT NULL
           AND (c.appointment_link_status = 'linked' AND c.appointment_id = s.newest
                AND c.appointment_linked_at IS NOT NULL AND c.appointment_made
                AND c.session_outcome = 'appointment_booked') IS NOT TRUE;
        v_marker := pg_catalog.set_config('dbguard.linking_call', '', true);
        IF v_status = 'creation_failed' THEN
            PERFORM dbguard.restore_rolled_back_claim(NEW.call_id);
        END IF;
        RETURN NULL;
    END IF;

    -- The calls that gained or lost an appointment, locked in id order so
    -- that two sessions moving appointments between the same calls cannot
    -- deadlock. FOR NO KEY UPDATE, not FOR UPDATE: it coexists with the
    -- FOR KEY SHARE the foreign key takes on the same call.
    -- Plain assignments, not queries: the WHEN clauses guarantee the call_id of
    -- an insert or delete is set.
    IF TG_OP = 'INSERT' THEN
        v_call_ids := ARRAY[NEW.call_id];
    ELSIF TG_OP = 'DELETE' THEN
        v_call_ids := ARRAY[OLD.call_id];
    ELSE
        v_call_ids := ARRAY(SELECT DISTINCT x FROM pg_catalog.unnest(ARRAY[OLD.call_id, NEW.call_id]) x
                             WHERE x IS NOT NULL ORDER BY x);
    END IF;
    -- Two calls: both locked before either is read. One id at a time (the
    -- array is sorted): with '= ANY (array)' the planner built a fresh plan for
    -- every row.
    IF pg_catalog.cardinality(v_call_ids) > 1 THEN
        FOREACH v_call_id IN ARRAY v_call_ids LOOP
            PERFORM 1 FROM public.calls c WHERE c.id = v_call_id FOR NO KEY UPDATE OF c;
        END LOOP;
    END IF;

    FOREACH v_call_id IN ARRAY v_call_ids LOOP
        -- Under READ COMMITTED a locking SELECT that waited returns the row as the
        -- other session committed it, and the next statement takes a fresh snapshot.
        SELECT c.* INTO v_call FROM public.calls c WHERE c.id = v_call_id FOR NO KEY UPDATE OF c;
        CONTINUE WHEN NOT FOUND;
        -- The newest appointment represents the call: deterministic,
        -- whatever order the appointments were written in.
        SELECT max(a.id) INTO v_appointment_id FROM public.appointments a WHERE a.call_id = v_call_id;

        IF v_appointment_id IS NOT NULL THEN
            v_status := 'linked';
            v_linked_at := CASE WHEN v_call.appointment_id IS NOT DISTINCT FROM v_appointment_id
                                     AND v_call.appointment_link_status = 'linked'
                                THEN coalesce(v_call.appointment_linked_at, pg_catalog.now())
                                ELSE pg_catalog.now() END;
            v_outcome := 'appointment_booked';
        ELSE
            -- A failed creation stays visible as such; any other status unlinks.
            v_status := CASE WHEN v_call.appointment_link_status = 'creation_failed' THEN 'creation_failed' ELSE 'unlinked' END;
            v_linked_at := NULL;
            v_outcome := CASE WHEN v_call.session_outcome = 'appointment_booked' THEN 'no_appointment' ELSE v_call.session_outcome END;
        END IF;

        CONTINUE WHEN (v_call.appointment_link_status, v_call.appointment_linked_at, v_call.appointment_id,
                       v_call.appointment_made, v_call.session_outcome)
            IS NOT DISTINCT FROM (v_status, v_linked_at, v_appointment_id, v_appointment_id IS NOT NULL, v_outcome);

        IF v_mode = 'alert' THEN
            PERFORM dbguard.raise_alert('link_status_mismatch', 'info', 'call', v_call_id::text,
                pg_catalog.format('call %s does not reflect its appointments (correct mode would set appointment_id %s, status %s)',
                                  v_call_id, coalesce(v_appointment_id::text, 'NULL'), v_status),
                pg_catalog.jsonb_build_object(
                    'appointment', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, 'operation', TG_OP,
                    'written', pg_catalog.jsonb_build_object('appointment_link_status', v_call.appointment_link_status,
                        'appointment_id', v_call.appointment_id, 'appointment_made', v_call.appointment_made,
                        'session_outcome', v_call.session_outcome),
                    'expected', pg_catalog.jsonb_build_object('appointment_link_status', v_status,
                        'appointment_id', v_appointment_id, 'appointment_made', v_appointment_id IS NOT NULL,
                        'session_outcome', v_outcome)),
                'trigger', false, 'appointment_link_sync');
        ELSE
            -- Assignments, not PERFORM: a simple expression runs without a query.
            IF v_appointment_id IS NOT NULL THEN
                v_marker := pg_catalog.set_config('dbguard.linking_call', v_call_id::text, true);
            END IF;
            UPDATE public.calls c
               SET appointment_link_status = v_status,
                   appointment_linked_at = v_linked_at,
                   appointment_id = v_appointment_id,
                   appointment_made = v_appointment_id IS NOT NULL,
                   session_outcome = v_outcome,
                   updated_at = pg_catalog.now()
             WHERE c.id = v_call_id;
            IF v_appointment_id IS NOT NULL THEN
                v_marker := pg_catalog.set_config('dbguard.linking_call', '', true);
                IF v_call.appointment_link_status = 'creation_failed' THEN
                    PERFORM dbguard.restore_rolled_back_claim(v_call_id);
                END IF;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__link_sync() FROM PUBLIC;

-- One trigger per event, so that an appointment without a call (a bulk import,
-- a Cal.com booking) fires nothing on insert or delete. An update of call_id
-- fires it even when the value stays: the write re-syncs the call.
CREATE OR REPLACE TRIGGER dbguard_600_appointment_link_sync
    AFTER INSERT ON public.appointments
    FOR EACH ROW
    WHEN (NEW.call_id IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_appointments__link_sync();

CREATE OR REPLACE TRIGGER dbguard_600_appointment_link_sync_update
    AFTER UPDATE OF call_id ON public.appointments
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_appointments__link_sync();

CREATE OR REPLACE TRIGGER dbguard_600_appointment_link_sync_delete
    AFTER DELETE ON public.appointments
    FOR EACH ROW
    WHEN (OLD.call_id IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_appointments__link_sync();

-- Runs after the other before-triggers on calls (100-300). A new call fires it
-- unless its status is 'unlinked' (the column default); an update unless the
-- status is NULL (left alone by the function), 'linked' or 'unlinked'.
-- "IS NOT TRUE": NULL fires the insert trigger.
CREATE OR REPLACE TRIGGER dbguard_600_appointment_link_sync
    BEFORE INSERT ON public.calls
    FOR EACH ROW
    WHEN ((NEW.appointment_link_status = 'unlinked') IS NOT TRUE)
    EXECUTE FUNCTION dbguard.tg_appointments__link_sync();

CREATE OR REPLACE TRIGGER dbguard_600_appointment_link_sync_update
    BEFORE UPDATE OF appointment_link_status ON public.calls
    FOR EACH ROW
    WHEN (NEW.appointment_link_status <> 'linked' AND NEW.appointment_link_status <> 'unlinked')
    EXECUTE FUNCTION dbguard.tg_appointments__link_sync();
