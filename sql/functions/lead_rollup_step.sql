-- lead_rollup's commit step: takes the leads this transaction's appointment writes
-- recorded (dbguard.lead_rollup_leads), clears them and the "step queued" flag,
-- and by the rule's mode (p_mode, compiled into its callers) brings their rollups up to date
-- (dbguard.refresh_lead_rollups: ascending ids, no waiting for a lead row another
-- transaction holds) or, in 'alert', records lead_rollup_drift for each that
-- differs. Run at commit by the deferred trigger dbguard_701_lead_rollup_at_commit,
-- or at once by the statement trigger when that trigger already ran in the
-- statement (SET CONSTRAINTS ... IMMEDIATE).
CREATE OR REPLACE FUNCTION dbguard.lead_rollup_step(p_mode text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_list text := pg_catalog.current_setting('dbguard.lead_rollup_leads', true);
    v_leads bigint[];
    v_lead bigint;
    v_ignored text;
BEGIN
    -- The list as the statement trigger writes it is cast here, without a call;
    -- anything else is read by dbguard.lead_rollup_pending_ids (any session can
    -- write the setting).
    IF v_list ~ '^[0-9]{1,18}(,[0-9]{1,18})*$' THEN
        v_leads := pg_catalog.string_to_array(v_list, ',')::bigint[];
    ELSE
        v_leads := dbguard.lead_rollup_pending_ids(v_list);
    END IF;
    -- Assignments, not PERFORM: a simple expression runs without starting a query.
    v_ignored := pg_catalog.set_config('dbguard.lead_rollup_leads', '', true);
    v_ignored := pg_catalog.set_config('dbguard.lead_rollup_queued', '', true);
    IF p_mode <> 'alert' THEN
        v_ignored := dbguard.refresh_lead_rollups(v_leads);
        RETURN;
    END IF;
    FOR v_lead IN SELECT DISTINCT l FROM pg_catalog.unnest(v_leads) l ORDER BY l LOOP
        IF dbguard.refresh_locked_lead_rollup(v_lead, false) THEN
            PERFORM dbguard.raise_alert('lead_rollup_drift', 'warning', 'lead', v_lead::text,
                pg_catalog.format('lead %s: rollup columns differ from its primary appointment', v_lead),
                pg_catalog.jsonb_build_object('lead_id', v_lead,
                                              'primary_appointment_id', dbguard.lead_primary_appointment(v_lead),
                                              'mode', p_mode),
                'trigger', false, 'lead_rollup');
        END IF;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION dbguard.lead_rollup_step(text) FROM PUBLIC;
