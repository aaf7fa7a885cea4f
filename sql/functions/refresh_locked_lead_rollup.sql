-- The work of dbguard.refresh_lead_rollup for a lead whose row the caller
-- has locked FOR NO KEY UPDATE in an earlier statement (p_write) or does not
-- write (p_write = false, compare only): brings the lead's rollup columns in
-- line with its primary appointment and says whether they differed. The lead
-- is written only when a value changes. Legacy rollup data (no
-- appointment_id) is copied into an alert before it is replaced. The commit
-- step (dbguard.refresh_lead_rollups) calls it after its own SKIP LOCKED lock,
-- so that the lead is not locked twice.
CREATE OR REPLACE FUNCTION dbguard.refresh_locked_lead_rollup(p_lead_id bigint, p_write boolean)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v record;
    v_legacy jsonb;
    v_differs boolean;
BEGIN
    -- The stored rollup and the primary appointment in one query. The choice
    -- of the primary is written out (as in dbguard.lead_primary_appointment and
    -- sql/catalog/_lead_primary.sql.j2; tests/test_lead_rollup.py holds all of
    -- them to one oracle): as a call it cost every booking a function call and
    -- a query of its own.
    SELECT l.appointment_id, l.appointment_start_at, l.appointment_end_at, l.appointment_status,
           l.appointment_canceled_at, l.appointment_provider, l.appointment_source,
           p.id AS primary_id, p.starts_at, p.ends_at, p.status, p.cancelled_at, p.provider, p.booking_source
      INTO v
      FROM public.leads l
      LEFT JOIN LATERAL (
            SELECT a.id, a.starts_at, a.ends_at, a.status, a.cancelled_at, a.provider, a.booking_source
              FROM public.appointments a
              LEFT JOIN dbguard.vocabularies s
                ON s.vocabulary = 'appointment_status' AND s.code = a.status AND s.is_active
             WHERE a.lead_id = l.id AND (s.code IS NOT NULL OR a.status = 'cancelled')
             ORDER BY CASE WHEN s.code IS NOT NULL AND a.starts_at >= pg_catalog.now() THEN 0
                           WHEN s.code IS NOT NULL THEN 1 ELSE 2 END,
                      CASE WHEN s.code IS NOT NULL AND a.starts_at >= pg_catalog.now() THEN a.starts_at END ASC,
                      a.starts_at DESC NULLS LAST, a.id DESC
             LIMIT 1) p ON true
     WHERE l.id = p_lead_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    v_differs := (v.appointment_id, v.appointment_start_at, v.appointment_end_at, v.appointment_status,
                  v.appointment_canceled_at, v.appointment_provider, v.appointment_source)
                 IS DISTINCT FROM
                 (v.primary_id, v.starts_at, v.ends_at, v.status, v.cancelled_at, v.provider, v.booking_source);

    -- A rollup without appointment_id but with data predates dbguard: it may be
    -- the only record of that appointment (until `dbguard backfill lead-history`
    -- turns it into a row). Its values go into an alert before they are replaced.
    IF v_differs AND p_write AND v.appointment_id IS NULL THEN
        v_legacy := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'appointment_start_at', v.appointment_start_at, 'appointment_end_at', v.appointment_end_at,
            'appointment_status', v.appointment_status, 'appointment_canceled_at', v.appointment_canceled_at,
            'appointment_provider', v.appointment_provider, 'appointment_source', v.appointment_source));
        IF v_legacy <> '{}'::jsonb THEN
            PERFORM dbguard.raise_alert('lead_rollup_legacy_replaced', 'warning', 'lead', p_lead_id::text,
                pg_catalog.format('lead %s: rollup data without an appointment row was replaced; the old values are in details', p_lead_id),
                pg_catalog.jsonb_build_object('lead_id', p_lead_id, 'old_rollup', v_legacy,
                                              'primary_appointment_id', v.primary_id),
                'trigger', true, 'lead_rollup');
        END IF;
    END IF;

    IF v_differs AND p_write THEN
        UPDATE public.leads l
           SET appointment_id = v.primary_id,
               appointment_start_at = v.starts_at,
               appointment_end_at = v.ends_at,
               appointment_status = v.status,
               appointment_canceled_at = v.cancelled_at,
               appointment_provider = v.provider,
               appointment_source = v.booking_source,
               appointment_last_checked_at = pg_catalog.now()
         WHERE l.id = p_lead_id;
    END IF;
    RETURN v_differs;
END
$$;
