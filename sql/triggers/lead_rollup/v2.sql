-- rule: lead_rollup
-- version: 2
-- function: dbguard.tg_appointments__lead_rollup()
-- guarantees: a lead's rollup columns (appointment_id, appointment_start_at, appointment_end_at, appointment_status, appointment_canceled_at, appointment_provider, appointment_source, appointment_last_checked_at) describe its primary appointment: the next upcoming active one, else the latest active, else the latest cancelled; cleared when there is none.

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
    v_mode text := coalesce((SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule = 'lead_rollup'), 'correct');
    v_leads bigint[];
    v_lead bigint;
BEGIN
    IF v_mode = 'off' THEN
        RETURN NULL;
    END IF;
    -- Transition tables are named relations of this trigger only; each query
    -- is planned on first use, so a branch never sees another event's tables.
    -- The two constant strings are plpgsql_check pragmas (no-ops at run time).
    PERFORM 'PRAGMA:TABLE: dbguard_new_rows (LIKE public.appointments)';
    PERFORM 'PRAGMA:TABLE: dbguard_old_rows (LIKE public.appointments)';
    IF TG_OP = 'INSERT' THEN
        v_leads := ARRAY(SELECT DISTINCT n.lead_id FROM dbguard_new_rows n WHERE n.lead_id IS NOT NULL);
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
