-- rule: lead_rollup
-- version: 1
-- function: dbguard.tg_appointments__lead_rollup()
-- guarantees: a lead's rollup columns (appointment_id, appointment_start_at, appointment_end_at, appointment_status, appointment_canceled_at, appointment_provider, appointment_source, appointment_last_checked_at) describe its primary appointment: the next upcoming active one, else the latest active, else the latest cancelled; cleared when there is none.

-- Recomputes the rollup of every lead an appointment write touched (old and
-- new lead of a move). Each lead row is locked FOR NO KEY UPDATE first, in id
-- order, and only then recomputed by a fresh query: concurrent writers to the
-- same lead queue on the lock and the last one sees every committed change.
-- The lead is written only when a value changes.
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__lead_rollup()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('lead_rollup');
    v_leads bigint[] := '{}';
    v_lead bigint;
    v_primary record;
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
        PERFORM 1 FROM public.leads l WHERE l.id = v_lead FOR NO KEY UPDATE;
        CONTINUE WHEN NOT FOUND;

        SELECT p.* INTO v_primary
          FROM (SELECT 1) one
          LEFT JOIN LATERAL (
                SELECT a.id, a.starts_at, a.ends_at, a.status, a.cancelled_at, a.provider, a.booking_source
                  FROM public.appointments a
                  LEFT JOIN dbguard.vocabularies v
                         ON v.vocabulary = 'appointment_status' AND v.code = a.status
                 WHERE a.lead_id = v_lead
                   AND (coalesce(v.is_active, false) OR a.status = 'cancelled')
                 ORDER BY CASE WHEN coalesce(v.is_active, false) AND a.starts_at >= pg_catalog.now() THEN 0
                               WHEN coalesce(v.is_active, false) THEN 1
                               ELSE 2 END,
                          -- upcoming: the soonest; otherwise: the latest
                          CASE WHEN coalesce(v.is_active, false) AND a.starts_at >= pg_catalog.now() THEN a.starts_at END,
                          a.starts_at DESC NULLS LAST,
                          a.id DESC
                 LIMIT 1) p ON true;

        IF v_mode = 'alert' THEN
            IF EXISTS (SELECT 1 FROM public.leads l
                        WHERE l.id = v_lead
                          AND (l.appointment_id, l.appointment_start_at, l.appointment_end_at, l.appointment_status,
                               l.appointment_canceled_at, l.appointment_provider, l.appointment_source)
                              IS DISTINCT FROM
                              (v_primary.id, v_primary.starts_at, v_primary.ends_at, v_primary.status,
                               v_primary.cancelled_at, v_primary.provider, v_primary.booking_source)) THEN
                PERFORM dbguard.raise_alert('lead_rollup_drift', 'warning', 'lead', v_lead::text,
                    pg_catalog.format('lead %s: rollup columns differ from its primary appointment %s',
                                      v_lead, coalesce(v_primary.id::text, '(none)')),
                    pg_catalog.jsonb_build_object('lead_id', v_lead, 'primary_appointment_id', v_primary.id, 'mode', v_mode),
                    'trigger', false, 'lead_rollup');
            END IF;
            CONTINUE;
        END IF;

        UPDATE public.leads l
           SET appointment_id = v_primary.id,
               appointment_start_at = v_primary.starts_at,
               appointment_end_at = v_primary.ends_at,
               appointment_status = v_primary.status,
               appointment_canceled_at = v_primary.cancelled_at,
               appointment_provider = v_primary.provider,
               appointment_source = v_primary.booking_source,
               appointment_last_checked_at = pg_catalog.now()
         WHERE l.id = v_lead
           AND (l.appointment_id, l.appointment_start_at, l.appointment_end_at, l.appointment_status,
                l.appointment_canceled_at, l.appointment_provider, l.appointment_source)
               IS DISTINCT FROM
               (v_primary.id, v_primary.starts_at, v_primary.ends_at, v_primary.status,
                v_primary.cancelled_at, v_primary.provider, v_primary.booking_source);
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
