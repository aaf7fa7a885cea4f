-- rule: reschedule_chain
-- version: 6
-- tables: appointments
-- timing: before insert or update of rescheduled_from_id; after update of lead_id, customer_id on appointments
-- guarantees: rescheduled_from_id points to an earlier-written appointment of the same lead or customer and never makes a cycle, also after either end moves to another lead/customer; the successor inherits a missing lead/customer; an active predecessor becomes 'rescheduled' with rescheduled_at/by/user_id.
-- modes: off: nothing; alert: a broken link is alerted and kept; correct: a broken link is dropped (back to its previous value when the UPDATE changed it) with an alert and a WARNING (23Q05); enforce: a broken link is refused (23Q05).

-- Validates the link to the appointment this one replaces and retires the
-- predecessor. A broken link is reported in the rule's mode (23Q05); in
-- 'correct' mode the link is dropped (back to its previous value when this
-- UPDATE changed it).
-- BEFORE: a new link is checked (an insert with one, an update that changes
-- it). AFTER: a row that moved to another lead or customer is checked once every
-- row of its statement has moved, so a statement that moves a whole chain passes.

-- fragment: appointments before row 400
-- insert when: NEW.rescheduled_from_id IS NOT NULL
-- update of: rescheduled_from_id
-- update when: NEW.rescheduled_from_id IS NOT NULL
DECLARE
    v_mode constant pg_catalog.text := '{{ mode }}';
    v_row pg_catalog.text := NEW.id::pg_catalog.text;
    v_pred record;
    v_problem pg_catalog.text;
    v_detail pg_catalog.text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Two links written at once (A -> B, B -> A) would each miss the other
        -- and close a cycle: changes of existing links take turns, and the
        -- checks below, as new statements, then see the committed links.
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dbguard.reschedule_chain'));
    END IF;

    -- Locked before its lead is compared: a move of the predecessor to another
    -- lead that is not yet committed would otherwise pass unseen (each session
    -- checks against what the other has not committed). NO KEY UPDATE, the lock
    -- taken anyway to retire it, so two successors of one row do not deadlock.
    SELECT a.id, a.lead_id, a.customer_id, a.status,
           coalesce(v.is_active, false) AS is_active
      INTO v_pred
      FROM public.appointments a
      LEFT JOIN dbguard.vocabularies v ON v.vocabulary = 'appointment_status' AND v.code = a.status
     WHERE a.id = NEW.rescheduled_from_id
       FOR NO KEY UPDATE OF a;

    IF NEW.rescheduled_from_id = NEW.id THEN
        v_problem := 'points to itself';
        v_detail := 'an appointment cannot replace itself';
    ELSIF NOT FOUND THEN
        IF TG_OP = 'UPDATE' OR v_mode = 'alert' THEN
            -- A missing predecessor is the foreign key's to refuse.
            RETURN NEW;
        END IF;
        v_problem := 'names an appointment that does not exist (yet)';
        v_detail := 'the appointment this one replaces must be written first: in an earlier statement, '
                    'or earlier in the same INSERT';
    ELSIF NOT coalesce(NEW.lead_id = v_pred.lead_id OR NEW.customer_id = v_pred.customer_id, false)
          AND coalesce(NEW.lead_id <> v_pred.lead_id OR NEW.customer_id <> v_pred.customer_id, false) THEN
        v_problem := pg_catalog.format('points to appointment %s of another lead/customer', v_pred.id);
        v_detail := pg_catalog.format('this row: lead %s, customer %s; appointment %s: lead %s, customer %s',
                                      coalesce(NEW.lead_id::pg_catalog.text, 'NULL'), coalesce(NEW.customer_id::pg_catalog.text, 'NULL'), v_pred.id,
                                      coalesce(v_pred.lead_id::pg_catalog.text, 'NULL'), coalesce(v_pred.customer_id::pg_catalog.text, 'NULL'));
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
        IF dbguard.rule_violation('reschedule_chain', v_mode, '23Q05', 'reschedule_chain_violation', 'appointment', v_row,
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
    -- The locks are taken in the order every other write takes them -- the
    -- appointment row, then the call, then the lead: retiring the predecessor
    -- here (its update refreshes the lead's rollup: a lock on the lead) before
    -- this row's appointment_link_sync locks the call would deadlock with a
    -- booking on the same call and lead. Locking the predecessor also
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
                                                         'appointment', 'public.appointments', 'rescheduled_by', v_pred.id::pg_catalog.text),
               rescheduled_by_user_id = dbguard.acting_user_id()
         WHERE a.id = v_pred.id;
    END IF;
    RETURN NEW;
END
-- fragment: appointments after row 400
-- update of: lead_id, customer_id
DECLARE
    v_mode constant pg_catalog.text := '{{ mode }}';
    v_row pg_catalog.text := NEW.id::pg_catalog.text;
    v_pairs pg_catalog.jsonb;
BEGIN
    -- This row moved to another lead or customer (an AFTER trigger: a statement
    -- that moves a whole chain is checked once every row of it has moved).
    -- Every link from or to it that now crosses leads, as the rows are now.
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'appointment_id', x.s_id, 'rescheduled_from_id', x.p_id,
               'lead_id', x.s_lead, 'customer_id', x.s_customer,
               'predecessor_lead_id', x.p_lead, 'predecessor_customer_id', x.p_customer) ORDER BY x.s_id)
      INTO v_pairs
      FROM (SELECT s.id AS s_id, s.lead_id AS s_lead, s.customer_id AS s_customer,
                   p.id AS p_id, p.lead_id AS p_lead, p.customer_id AS p_customer
              FROM public.appointments s JOIN public.appointments p ON p.id = s.rescheduled_from_id
             WHERE s.id = NEW.id
            UNION ALL
            SELECT s.id, s.lead_id, s.customer_id, p.id, p.lead_id, p.customer_id
              FROM public.appointments p JOIN public.appointments s ON s.rescheduled_from_id = p.id
             WHERE p.id = NEW.id AND s.id <> p.id) x
     WHERE NOT coalesce(x.s_lead = x.p_lead OR x.s_customer = x.p_customer, false)
       AND coalesce(x.s_lead <> x.p_lead OR x.s_customer <> x.p_customer, false);
    IF v_pairs IS NOT NULL AND dbguard.rule_violation('reschedule_chain', v_mode, '23Q05',
           'reschedule_chain_violation', 'appointment', v_row,
           pg_catalog.format('dbguard: public.appointments row %s moved to lead %s / customer %s; these '
                             'reschedule links now cross leads: %s',
                             v_row, coalesce(NEW.lead_id::pg_catalog.text, 'NULL'),
                             coalesce(NEW.customer_id::pg_catalog.text, 'NULL'), v_pairs),
           'a reschedule chain belongs to one lead or customer',
           'Move the whole chain in one statement, or clear rescheduled_from_id of the appointments that '
           'should leave it first.',
           pg_catalog.jsonb_build_object('appointment_id', NEW.id, 'links', v_pairs,
                                         'problem', 'moved to another lead/customer'),
           'public.appointments', 'lead_id') THEN
        UPDATE public.appointments a
           SET rescheduled_from_id = NULL
         WHERE a.id IN (SELECT (x ->> 'appointment_id')::pg_catalog.int8
                          FROM pg_catalog.jsonb_array_elements(v_pairs) x);
    END IF;
END
