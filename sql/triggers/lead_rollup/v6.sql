-- rule: lead_rollup
-- version: 6
-- function: dbguard.tg_appointments__lead_rollup()
-- guarantees: a lead's rollup columns (appointment_id, appointment_start_at, appointment_end_at, appointment_status, appointment_canceled_at, appointment_provider, appointment_source, appointment_last_checked_at) describe its primary appointment: the next upcoming active one, else the latest active, else the latest cancelled; cleared when there is none.

-- v6 (issue 7): the same decisions, ~160 k instructions a booking cheaper. The
-- locking read of the lead names only the lead: the ranks are computed after it,
-- with dbguard.code_is_active() (no query since migration 0707) instead of two
-- subqueries on dbguard.vocabularies inside it (~120 k). And a statement's written
-- row is read as one row with a count beside it, instead of ten aggregates over
-- the transition table (~40 k); the leads of a multi-row statement are read as
-- before.

-- v5 (issue 7): the mode is read through dbguard.rule_mode(), which holds no
-- query any more (migration 0705): the planner folds it to a constant, ~2 k
-- instructions instead of ~31 k for the SELECT on dbguard.rule_settings.
-- And a written row that surely becomes the primary is written into the rollup
-- directly (one UPDATE) instead of through refresh_lead_rollup (a call and five
-- statements): when the stored primary is still upcoming (rank 0) and the row,
-- active and upcoming too, starts strictly sooner. By the reasoning of v3 the
-- stored primary is then the soonest upcoming appointment of the lead, so the
-- row, sooner still, is the new one. Ties, a rollup that names no primary (legacy
-- data may sit there) and every other case keep the full path.

-- v4 (issue 7): the same decisions in fewer statements: an insert reads its
-- leads and its written row in one pass over the transition table, and the
-- lead is locked and both status ranks are looked up in one query (scalar
-- subqueries, which the row lock does not cover, so no EvalPlanQual set-up
-- for the vocabulary table).

-- v3 (issue 7): a statement that writes one appointment (an insert, or an
-- update that keeps it on one lead) leaves the rollup alone when that row is
-- not the lead's stored primary appointment and cannot outrank it (most
-- bookings: a later slot than the next one already booked; most cancellations
-- of other appointments); refresh_lead_rollup, which sorts all of the lead's
-- appointments, runs only otherwise. The lead is locked first in both cases. A
-- rollup gone stale by the passage of time alone (the next appointment is now
-- past) stays as it was until a write that can change it, or `dbguard
-- reconcile` (lead_rollup_drift).

-- v2 (issue 7): the mode, the acting settings and vocabulary lookups are read inline;
-- helpers are called only on the rare path (a value outside its vocabulary, an alert).
-- A call to a PL/pgSQL helper with a pinned search_path costs ~20 µs on PostgreSQL 15,
-- an inline lookup ~1 µs (docs/benchmarks.md).

-- Refreshes the rollup of every lead a statement touched (the old and the new
-- lead of a move), once per lead and statement, in lead id order: a statement-
-- level trigger over the transition tables sees all rows first, so two bulk
-- statements never lock the same leads in opposite orders (row-level triggers
-- would lock them in row order and could deadlock). Locking and the
-- write-only-on-change live in dbguard.refresh_lead_rollup. 'alert' only reports.
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__lead_rollup()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('lead_rollup');
    v_leads bigint[];
    v_lead bigint;
    v_primary_id bigint;
    v_primary_start timestamptz;
    v_primary_rank integer;
    v_primary_status text;
    v_count bigint;
    v_new_id bigint;
    v_new_lead bigint;
    v_new_status text;
    v_new_start timestamptz;
    v_new_end timestamptz;
    v_new_cancelled timestamptz;
    v_new_provider text;
    v_new_source text;
    v_new_rank integer;
BEGIN
    IF v_mode = 'off' THEN
        RETURN NULL;
    END IF;
    -- Transition tables are named relations of this trigger only; each query
    -- is planned on first use, so a branch never sees another event's tables.
    -- (No plpgsql_check pragmas any more, v6: each PERFORM was a statement per
    -- call; the lint passes the tables' names to plpgsql_check instead.)
    IF TG_OP = 'INSERT' THEN
        -- The first row and the row count; the row is used only when it is the
        -- statement's only one.
        SELECT n.id, n.lead_id, n.status, n.starts_at, n.ends_at, n.cancelled_at, n.provider, n.booking_source,
               (SELECT pg_catalog.count(*) FROM dbguard_new_rows)
          INTO v_new_id, v_new_lead, v_new_status, v_new_start, v_new_end, v_new_cancelled, v_new_provider,
               v_new_source, v_count
          FROM dbguard_new_rows n
         LIMIT 1;
        IF v_count = 1 THEN
            v_leads := CASE WHEN v_new_lead IS NULL THEN '{}' ELSE ARRAY[v_new_lead] END;
        ELSE
            v_leads := ARRAY(SELECT DISTINCT n.lead_id FROM dbguard_new_rows n WHERE n.lead_id IS NOT NULL);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        v_leads := ARRAY(SELECT DISTINCT o.lead_id FROM dbguard_old_rows o WHERE o.lead_id IS NOT NULL);
    ELSE
        v_leads := ARRAY(
            SELECT DISTINCT x.lead_id
              FROM dbguard_new_rows n
              FULL JOIN dbguard_old_rows o ON o.id = n.id
             CROSS JOIN LATERAL (VALUES (n.lead_id), (o.lead_id)) x (lead_id)
             WHERE x.lead_id IS NOT NULL
               AND (n.lead_id, n.status, n.starts_at, n.ends_at, n.cancelled_at, n.provider, n.booking_source)
                   IS DISTINCT FROM
                   (o.lead_id, o.status, o.starts_at, o.ends_at, o.cancelled_at, o.provider, o.booking_source));
    END IF;

    IF TG_OP = 'UPDATE' AND v_mode <> 'alert' AND pg_catalog.cardinality(v_leads) = 1 THEN
        -- The written row, when the statement wrote exactly one.
        SELECT n.id, n.lead_id, n.status, n.starts_at, n.ends_at, n.cancelled_at, n.provider, n.booking_source,
               (SELECT pg_catalog.count(*) FROM dbguard_new_rows)
          INTO v_new_id, v_new_lead, v_new_status, v_new_start, v_new_end, v_new_cancelled, v_new_provider,
               v_new_source, v_count
          FROM dbguard_new_rows n
         LIMIT 1;
    END IF;

    IF v_count = 1 AND v_mode <> 'alert' AND pg_catalog.cardinality(v_leads) = 1 THEN
        v_lead := v_leads[1];
        -- The lock refresh_lead_rollup takes, taken here: under READ COMMITTED a
        -- writer that waited for it reads the rollup the other session committed.
        -- Ranks as in dbguard.lead_primary_appointment: 0 upcoming active,
        -- 1 past active, 2 cancelled; NULL = cannot be primary.
        SELECT l.appointment_id, l.appointment_start_at, l.appointment_status
          INTO v_primary_id, v_primary_start, v_primary_status
          FROM public.leads l
         WHERE l.id = v_lead
           FOR NO KEY UPDATE OF l;
        v_primary_rank := CASE WHEN dbguard.code_is_active('appointment_status', v_primary_status)
                               THEN CASE WHEN v_primary_start >= pg_catalog.now() THEN 0 ELSE 1 END
                               WHEN v_primary_status = 'cancelled' THEN 2 END;
        v_new_rank := CASE WHEN dbguard.code_is_active('appointment_status', v_new_status)
                           THEN CASE WHEN v_new_start >= pg_catalog.now() THEN 0 ELSE 1 END
                           WHEN v_new_status = 'cancelled' THEN 2 END;
        -- Skip when the written row is not the stored primary and cannot become
        -- it: it left the lead, it cannot be primary, or the stored primary surely
        -- outranks it (a lower rank, or the same rank and a sooner upcoming / later
        -- past or cancelled start). Ties, NULL starts, the primary itself and a
        -- rollup that names no primary take the full path.
        IF v_primary_id IS NOT NULL AND v_primary_rank IS NOT NULL AND v_new_id <> v_primary_id
           AND (v_new_lead IS DISTINCT FROM v_lead
                OR v_new_rank IS NULL
                OR v_primary_rank < v_new_rank
                OR v_primary_rank = v_new_rank AND CASE WHEN v_new_rank = 0 THEN v_primary_start < v_new_start
                                                        ELSE v_primary_start > v_new_start END) THEN
            RETURN NULL;
        END IF;
        -- The written row surely becomes the primary (see v5 above): write it.
        IF v_primary_id IS NOT NULL AND v_primary_rank = 0 AND v_new_rank = 0 AND v_new_id <> v_primary_id
           AND v_new_lead = v_lead AND v_new_start < v_primary_start THEN
            UPDATE public.leads l
               SET appointment_id = v_new_id,
                   appointment_start_at = v_new_start,
                   appointment_end_at = v_new_end,
                   appointment_status = v_new_status,
                   appointment_canceled_at = v_new_cancelled,
                   appointment_provider = v_new_provider,
                   appointment_source = v_new_source,
                   appointment_last_checked_at = pg_catalog.now()
             WHERE l.id = v_lead;
            RETURN NULL;
        END IF;
    END IF;

    FOR v_lead IN SELECT l FROM pg_catalog.unnest(v_leads) l ORDER BY l LOOP
        IF v_mode <> 'alert' THEN
            PERFORM dbguard.refresh_lead_rollup(v_lead);
        ELSIF dbguard.refresh_lead_rollup(v_lead, false) THEN
            PERFORM dbguard.raise_alert('lead_rollup_drift', 'warning', 'lead', v_lead::text,
                pg_catalog.format('lead %s: rollup columns differ from its primary appointment', v_lead),
                pg_catalog.jsonb_build_object('lead_id', v_lead,
                                              'primary_appointment_id', dbguard.lead_primary_appointment(v_lead),
                                              'mode', v_mode),
                'trigger', false, 'lead_rollup');
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER dbguard_700_lead_rollup
    AFTER INSERT ON public.appointments
    REFERENCING NEW TABLE AS dbguard_new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();

CREATE OR REPLACE TRIGGER dbguard_700_lead_rollup_delete
    AFTER DELETE ON public.appointments
    REFERENCING OLD TABLE AS dbguard_old_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();

CREATE OR REPLACE TRIGGER dbguard_700_lead_rollup_update
    AFTER UPDATE ON public.appointments
    REFERENCING OLD TABLE AS dbguard_old_rows NEW TABLE AS dbguard_new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();
