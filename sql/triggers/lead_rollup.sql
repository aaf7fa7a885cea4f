-- rule: lead_rollup
-- version: 8
-- function: dbguard.tg_appointments__lead_rollup()
-- guarantees: a lead's rollup columns (appointment_id, appointment_start_at, appointment_end_at, appointment_status, appointment_canceled_at, appointment_provider, appointment_source, appointment_last_checked_at) describe its primary appointment: the next upcoming active one, else the latest active, else the latest cancelled; cleared when there is none. Brought up to date at commit without waiting for a lead row another transaction holds (then by the next commit step, dbguard.refresh_lead_rollups() or reconcile).

-- Records the leads whose rollup a statement may have changed.
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__lead_rollup()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_leads bigint[];
    v_list text;
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__lead_rollup() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- Not made distinct here: the commit step sorts the ids and drops
        -- repeats, and a booking's one row needs neither.
        v_leads := ARRAY(SELECT n.lead_id FROM dbguard_new_rows n WHERE n.lead_id IS NOT NULL);
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
    IF pg_catalog.cardinality(v_leads) = 0 THEN
        RETURN NULL;
    END IF;
    v_list := coalesce(pg_catalog.current_setting('dbguard.lead_rollup_leads', true), '');
    IF v_list = '' THEN
        -- The transaction's first write (a booking): an assignment starts no
        -- query.
        v_list := pg_catalog.set_config('dbguard.lead_rollup_leads', pg_catalog.array_to_string(v_leads, ','), true);
    ELSE
        v_leads := v_leads || dbguard.lead_rollup_pending_ids(v_list);
        PERFORM pg_catalog.set_config('dbguard.lead_rollup_leads',
            (SELECT pg_catalog.string_agg(DISTINCT l::text, ',') FROM pg_catalog.unnest(v_leads) l), true);
    END IF;
    -- Deferred (the default), the step queued by this statement's first row is
    -- still pending and the flag is on. When it is off, that step has run
    -- already, before this statement trigger (SET CONSTRAINTS ... IMMEDIATE
    -- fires row events first): run it now.
    IF pg_catalog.current_setting('dbguard.lead_rollup_queued', true) IS DISTINCT FROM 'on' THEN
        PERFORM dbguard.lead_rollup_step('{{ mode }}');
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__lead_rollup() FROM PUBLIC;

-- The commit step: once per transaction (dbguard.lead_rollup_step).
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__lead_rollup_at_commit()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ignored pg_catalog.text;
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__lead_rollup_at_commit() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    -- an assignment, not PERFORM: no query is started for the call
    v_ignored := dbguard.lead_rollup_step('{{ mode }}');
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__lead_rollup_at_commit() FROM PUBLIC;

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

-- One event per transaction: the first row's WHEN sets the transaction-local
-- flag (undone with a rolled-back savepoint together with the event it
-- queued), so later rows queue nothing. Only built-ins: a WHEN clause runs as
-- the writer, who may execute no dbguard function.
DROP TRIGGER IF EXISTS dbguard_701_lead_rollup_at_commit ON public.appointments;
CREATE CONSTRAINT TRIGGER dbguard_701_lead_rollup_at_commit
    AFTER INSERT OR UPDATE OR DELETE ON public.appointments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (pg_catalog.current_setting('dbguard.lead_rollup_queued', true) IS DISTINCT FROM 'on'
          AND pg_catalog.set_config('dbguard.lead_rollup_queued', 'on', true) IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup_at_commit();
