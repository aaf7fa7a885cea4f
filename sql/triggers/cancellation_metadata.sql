-- rule: cancellation_metadata
-- version: 6
-- tables: appointments
-- timing: before insert or update on appointments
-- guarantees: status 'cancelled' if and only if cancelled_at is set; a cancellation fills cancelled_at, cancelled_by (explicit, else dbguard.actor, else 'system'), cancelled_by_user_id (dbguard.user_id) and cancellation_reason (dbguard.reason); a reactivation clears them; status_changed_at follows every status change.
-- modes: off: nothing; alert: a contradiction is alerted and the row kept; correct: the derived columns follow the status, a contradiction is repaired with an alert and a WARNING (23Q07); enforce: a contradiction is refused (23Q07).

-- Keeps status, cancelled_at and who cancelled in agreement. Decisions
-- (docs/rules/cancellation_metadata.md): a status change decides for the
-- derived columns silently; a newly written cancelled_at on a row that is not
-- cancelled means "cancel it" (correct: status becomes 'cancelled'); any other
-- disagreement is a contradiction reported in the rule's mode (23Q07).
-- On insert the rule only acts on a cancellation, a cancelled_by to check
-- against its vocabulary, or a status without status_changed_at (written as
-- NULL explicitly: the column default fills it otherwise); on update, only on
-- updates that touch the cancellation, or rows that already disagree.

-- fragment: appointments before row 200
-- insert when: NEW.status IS NOT DISTINCT FROM 'cancelled' OR NEW.cancelled_at IS NOT NULL OR NEW.cancelled_by IS NOT NULL OR (NEW.status_changed_at IS NULL AND NEW.status IS NOT NULL)
-- update:
-- update when: NEW.status IS DISTINCT FROM OLD.status OR NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at OR NEW.cancelled_by IS DISTINCT FROM OLD.cancelled_by OR (NEW.status IS NOT DISTINCT FROM 'cancelled') <> (NEW.cancelled_at IS NOT NULL)
DECLARE
    v_mode constant pg_catalog.text := '{{ mode }}';
    v_insert boolean := TG_OP = 'INSERT';
    v_was_cancelled boolean := TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM 'cancelled';
    v_at_written boolean;
    v_row pg_catalog.text := NEW.id::pg_catalog.text;
    v_details pg_catalog.jsonb;
BEGIN
    v_at_written := NEW.cancelled_at IS NOT NULL
                    AND (v_insert OR NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at);
    v_details := pg_catalog.jsonb_build_object('appointment_id', NEW.id, 'status', NEW.status,
                                               'cancelled_at', NEW.cancelled_at);

    IF NEW.status IS NOT DISTINCT FROM 'cancelled' AND NEW.cancelled_at IS NULL THEN
        IF NOT v_was_cancelled THEN
            NEW.cancelled_at := CASE WHEN v_insert AND NEW.status_changed_at <> pg_catalog.now() THEN NEW.status_changed_at
                                     WHEN v_insert AND NEW.updated_at <> pg_catalog.now() THEN NEW.updated_at
                                     WHEN NOT v_insert AND NEW.status_changed_at IS DISTINCT FROM OLD.status_changed_at
                                          AND NEW.status_changed_at IS NOT NULL THEN NEW.status_changed_at
                                     ELSE pg_catalog.now() END;
        ELSIF dbguard.rule_violation('cancellation_metadata', v_mode, '23Q07', 'cancelled_without_cancelled_at',
                  'appointment', v_row,
                  pg_catalog.format('dbguard: public.appointments row %s: status ''cancelled'' but cancelled_at is NULL', v_row),
                  'a cancelled appointment records when it was cancelled',
                  'Keep cancelled_at when the appointment stays cancelled, or change status as well.',
                  v_details, 'public.appointments', 'cancelled_at') THEN
            NEW.cancelled_at := coalesce(OLD.cancelled_at, NEW.status_changed_at, pg_catalog.now());
        END IF;
    ELSIF NEW.status IS DISTINCT FROM 'cancelled' AND NEW.cancelled_at IS NOT NULL THEN
        IF v_was_cancelled AND NOT v_at_written THEN
            -- Reactivation: the cancellation no longer holds; history keeps it.
            NEW.cancelled_at := NULL;
            IF NEW.cancelled_by IS NOT DISTINCT FROM OLD.cancelled_by THEN
                NEW.cancelled_by := NULL;
            END IF;
            IF NEW.cancelled_by_user_id IS NOT DISTINCT FROM OLD.cancelled_by_user_id THEN
                NEW.cancelled_by_user_id := NULL;
            END IF;
            IF NEW.cancellation_reason IS NOT DISTINCT FROM OLD.cancellation_reason THEN
                NEW.cancellation_reason := NULL;
            END IF;
        ELSIF v_at_written THEN
            IF dbguard.rule_violation('cancellation_metadata', v_mode, '23Q07', 'cancelled_at_without_cancelled_status',
                   'appointment', v_row,
                   pg_catalog.format('dbguard: public.appointments row %s: cancelled_at is set but status is %L, not ''cancelled''',
                                     v_row, NEW.status),
                   'cancelled_at is only set on cancelled appointments',
                   'Cancel with status = ''cancelled'' (cancelled_at is then filled), or leave cancelled_at NULL.',
                   v_details, 'public.appointments', 'status') THEN
                NEW.status := 'cancelled';
            END IF;
        ELSIF dbguard.rule_violation('cancellation_metadata', v_mode, '23Q07', 'cancelled_at_without_cancelled_status',
                  'appointment', v_row,
                  pg_catalog.format('dbguard: public.appointments row %s: status %L still carries cancelled_at', v_row, NEW.status),
                  'cancelled_at is only set on cancelled appointments',
                  'Clear cancelled_at, cancelled_by and cancelled_by_user_id, or set status = ''cancelled''.',
                  v_details, 'public.appointments', 'cancelled_at') THEN
            NEW.cancelled_at := NULL;
            NEW.cancelled_by := NULL;
            NEW.cancelled_by_user_id := NULL;
        END IF;
    END IF;

    -- Who cancelled: only when the row becomes cancelled in this statement, so
    -- that later edits of a cancelled row never rewrite the cancellation.
    IF NEW.status IS NOT DISTINCT FROM 'cancelled' AND NOT v_was_cancelled THEN
        IF v_insert OR NEW.cancelled_by IS NOT DISTINCT FROM OLD.cancelled_by THEN
            NEW.cancelled_by := coalesce(CASE WHEN v_insert THEN NEW.cancelled_by END, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'system');
        END IF;
        IF v_insert OR NEW.cancelled_by_user_id IS NOT DISTINCT FROM OLD.cancelled_by_user_id THEN
            NEW.cancelled_by_user_id := coalesce(CASE WHEN v_insert THEN NEW.cancelled_by_user_id END, CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN dbguard.acting_user_id() END);
        END IF;
        IF v_insert OR NEW.cancellation_reason IS NOT DISTINCT FROM OLD.cancellation_reason THEN
            NEW.cancellation_reason := coalesce(CASE WHEN v_insert THEN NEW.cancellation_reason END, NULLIF(pg_catalog.current_setting('dbguard.reason', true), ''));
        END IF;
    END IF;
    IF v_insert OR NEW.cancelled_by IS DISTINCT FROM OLD.cancelled_by THEN
        IF NOT (NEW.cancelled_by IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'actor' AND v.code = NEW.cancelled_by)) THEN
            NEW.cancelled_by := dbguard.vocabulary_value('cancellation_metadata', v_mode, 'actor', NEW.cancelled_by, 'unknown',
                                                         'appointment', 'public.appointments', 'cancelled_by', v_row);
        END IF;
    END IF;

    IF v_insert THEN
        IF NEW.status IS NOT NULL THEN
            NEW.status_changed_at := coalesce(NEW.status_changed_at, pg_catalog.now());
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status_changed_at IS NOT DISTINCT FROM OLD.status_changed_at THEN
        NEW.status_changed_at := pg_catalog.now();
    END IF;
    RETURN NEW;
END
