-- rule: lead_rollup
-- version: 1
-- function: dbguard.tg_appointments__lead_rollup()
-- guarantees: a lead's rollup columns (appointment_id, appointment_start_at, appointment_end_at, appointment_status, appointment_canceled_at, appointment_provider, appointment_source, appointment_last_checked_at) describe its primary appointment: the next upcoming active one, else the latest active, else the latest cancelled; cleared when there is none.

-- Refreshes the rollup of every lead an appointment write touched (the old
-- and the new lead of a move), in lead id order so that two writers never
-- lock the same leads in opposite orders. Locking and the write-only-on-change
-- live in dbguard.refresh_lead_rollup. 'alert' mode only reports drift.
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__lead_rollup()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('lead_rollup');
    v_leads bigint[] := '{}';
    v_lead bigint;
BEGIN
    IF v_mode = 'off' THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_leads := v_leads || NEW.lead_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_leads := v_leads || OLD.lead_id;
    END IF;

    FOR v_lead IN SELECT DISTINCT l FROM pg_catalog.unnest(v_leads) l WHERE l IS NOT NULL ORDER BY l LOOP
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
    AFTER INSERT OR DELETE ON public.appointments
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();

-- Only updates that can change a rollup.
CREATE OR REPLACE TRIGGER dbguard_700_lead_rollup_update
    AFTER UPDATE ON public.appointments
    FOR EACH ROW
    WHEN ((NEW.lead_id IS NOT NULL OR OLD.lead_id IS NOT NULL)
          AND (NEW.lead_id, NEW.status, NEW.starts_at, NEW.ends_at, NEW.cancelled_at, NEW.provider, NEW.booking_source)
              IS DISTINCT FROM
              (OLD.lead_id, OLD.status, OLD.starts_at, OLD.ends_at, OLD.cancelled_at, OLD.provider, OLD.booking_source))
    EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();
