-- rule: reschedule_chain
-- version: 3
-- function: dbguard.tg_appointments__reschedule_chain()
-- guarantees: rescheduled_from_id points to another appointment of the same lead or customer and never makes a cycle; the successor inherits a missing lead/customer; an active predecessor becomes 'rescheduled' with rescheduled_at/by/user_id.

-- v3: SECURITY DEFINER with search_path pg_catalog, pg_temp (every rule runs as
-- its owner, docs/security.md), and the function refuses to run as the trigger of
-- any table but public.appointments.

-- Validates the link to the appointment this one replaces and retires the
-- predecessor. A broken link is reported in the rule's mode (DG005); in
-- 'correct' mode the link is dropped (back to its previous value on UPDATE).
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__reschedule_chain()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('reschedule_chain');
    v_row text := NEW.id::text;
    v_pred record;
    v_problem text;
    v_detail text;
BEGIN
    -- Runs as its owner: only on the table(s) it was written for.
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__reschedule_chain() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_mode = 'off' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- Two links written at once (A -> B, B -> A) would each miss the other
        -- and close a cycle: changes of existing links take turns, and the
        -- checks below, as new statements, then see the committed links.
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dbguard.reschedule_chain'));
    END IF;

    SELECT a.id, a.lead_id, a.customer_id, a.status,
           coalesce(v.is_active, false) AS is_active
      INTO v_pred
      FROM public.appointments a
      LEFT JOIN dbguard.vocabularies v ON v.vocabulary = 'appointment_status' AND v.code = a.status
     WHERE a.id = NEW.rescheduled_from_id;

    IF NEW.rescheduled_from_id = NEW.id THEN
        v_problem := 'points to itself';
        v_detail := 'an appointment cannot replace itself';
    ELSIF NOT FOUND THEN
        -- A missing predecessor is the foreign key's to refuse.
        RETURN NEW;
    ELSIF NOT coalesce(NEW.lead_id = v_pred.lead_id OR NEW.customer_id = v_pred.customer_id, false)
          AND coalesce(NEW.lead_id <> v_pred.lead_id OR NEW.customer_id <> v_pred.customer_id, false) THEN
        v_problem := pg_catalog.format('points to appointment %s of another lead/customer', v_pred.id);
        v_detail := pg_catalog.format('this row: lead %s, customer %s; appointment %s: lead %s, customer %s',
                                      coalesce(NEW.lead_id::text, 'NULL'), coalesce(NEW.customer_id::text, 'NULL'), v_pred.id,
                                      coalesce(v_pred.lead_id::text, 'NULL'), coalesce(v_pred.customer_id::text, 'NULL'));
    ELSIF TG_OP = 'UPDATE' AND EXISTS (
            WITH RECURSIVE chain (id, rescheduled_from_id) AS (
                SELECT a.id, a.rescheduled_from_id FROM public.appointments a WHERE a.id = NEW.rescheduled_from_id
                UNION
                SELECT a.id, a.rescheduled_from_id FROM public.appointments a JOIN chain c ON a.id = c.rescheduled_from_id)
            SELECT 1 FROM chain WHERE chain.id = NEW.id) THEN
        v_problem := pg_catalog.format('makes a cycle through appointment %s', NEW.rescheduled_from_id);
        v_detail := 'following rescheduled_from_id from this row leads back to it';
    END IF;

    IF v_problem IS NOT NULL THEN
        IF dbguard.rule_violation('reschedule_chain', v_mode, 'DG005', 'reschedule_chain_violation', 'appointment', v_row,
               pg_catalog.format('dbguard: public.appointments row %s: rescheduled_from_id = %s %s',
                                 v_row, NEW.rescheduled_from_id, v_problem),
               v_detail,
               'rescheduled_from_id must name the earlier appointment of the same lead or customer that this one replaces.',
               pg_catalog.jsonb_build_object('appointment_id', NEW.id, 'rescheduled_from_id', NEW.rescheduled_from_id,
                                             'problem', v_problem),
               'public.appointments', 'rescheduled_from_id') THEN
            NEW.rescheduled_from_id := CASE WHEN TG_OP = 'UPDATE' THEN OLD.rescheduled_from_id END;
        END IF;
        RETURN NEW;
    END IF;

    NEW.lead_id := coalesce(NEW.lead_id, v_pred.lead_id);
    NEW.customer_id := coalesce(NEW.customer_id, v_pred.customer_id);
    -- Version 2: take the locks in the order every other write takes them --
    -- the appointment row, then the call, then the lead. v1 retired the
    -- predecessor (its update refreshes the lead's rollup: a lock on the lead)
    -- before this row's appointment_link_sync locked the call, and deadlocked
    -- with a booking on the same call and lead. Locking the predecessor also
    -- re-reads its status: one cancelled meanwhile stays cancelled.
    IF v_pred.is_active THEN
        SELECT coalesce(v.is_active, false) INTO v_pred.is_active
          FROM public.appointments a
          LEFT JOIN dbguard.vocabularies v ON v.vocabulary = 'appointment_status' AND v.code = a.status
         WHERE a.id = v_pred.id
           FOR NO KEY UPDATE OF a;
    END IF;
    IF v_pred.is_active THEN
        PERFORM 1 FROM public.calls c WHERE c.id = NEW.call_id FOR NO KEY UPDATE OF c;
        UPDATE public.appointments a
           SET status = 'rescheduled',
               rescheduled_at = pg_catalog.now(),
               rescheduled_by = dbguard.vocabulary_value('reschedule_chain', v_mode, 'actor', coalesce(dbguard.acting('actor'), 'system'), 'unknown',
                                                         'appointment', 'public.appointments', 'rescheduled_by', v_pred.id::text),
               rescheduled_by_user_id = dbguard.acting_user_id()
         WHERE a.id = v_pred.id;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__reschedule_chain() FROM PUBLIC;

CREATE OR REPLACE TRIGGER dbguard_400_reschedule_chain
    BEFORE INSERT ON public.appointments
    FOR EACH ROW
    WHEN (NEW.rescheduled_from_id IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_appointments__reschedule_chain();

CREATE OR REPLACE TRIGGER dbguard_400_reschedule_chain_update
    BEFORE UPDATE ON public.appointments
    FOR EACH ROW
    WHEN (NEW.rescheduled_from_id IS NOT NULL AND NEW.rescheduled_from_id IS DISTINCT FROM OLD.rescheduled_from_id)
    EXECUTE FUNCTION dbguard.tg_appointments__reschedule_chain();
