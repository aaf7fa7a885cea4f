-- Brings a lead's rollup columns in line with its primary appointment
-- (dbguard.lead_primary_appointment) and says whether they differed.
-- The lead row is locked FOR NO KEY UPDATE before the recomputation, which
-- then runs as a new statement: under READ COMMITTED a writer that waited for
-- the lock sees every change committed before it, so concurrent writers never
-- leave a stale rollup. NO KEY UPDATE, not UPDATE: it does not conflict with
-- the KEY SHARE locks that foreign-key checks of appointments take on the lead.
-- The lead is written only when a value changes. Legacy rollup data (no
-- appointment_id) is copied into an alert before it is replaced. p_write = false only
-- compares (shadow mode), without locking. Used by the lead_rollup trigger
-- and by reconciliation of lead_rollup_drift.
CREATE OR REPLACE FUNCTION dbguard.refresh_lead_rollup(p_lead_id bigint, p_write boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_primary record;
    v_stored record;
    v_differs boolean;
BEGIN
    IF p_write THEN
        PERFORM 1 FROM public.leads l WHERE l.id = p_lead_id FOR NO KEY UPDATE;
    END IF;

    SELECT p.* INTO v_primary
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (
            SELECT a.id, a.starts_at, a.ends_at, a.status, a.cancelled_at, a.provider, a.booking_source
              FROM public.appointments a
             WHERE a.id = dbguard.lead_primary_appointment(p_lead_id)) p ON true;

    SELECT l.appointment_id, l.appointment_start_at, l.appointment_end_at, l.appointment_status,
           l.appointment_canceled_at, l.appointment_provider, l.appointment_source
      INTO v_stored
      FROM public.leads l
     WHERE l.id = p_lead_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    v_differs := (v_stored.appointment_id, v_stored.appointment_start_at, v_stored.appointment_end_at,
                  v_stored.appointment_status, v_stored.appointment_canceled_at, v_stored.appointment_provider,
                  v_stored.appointment_source)
                 IS DISTINCT FROM
                 (v_primary.id, v_primary.starts_at, v_primary.ends_at, v_primary.status,
                  v_primary.cancelled_at, v_primary.provider, v_primary.booking_source);

    -- A rollup without appointment_id but with data predates dbguard: it may be
    -- the only record of that appointment (until `dbguard backfill lead-history`
    -- turns it into a row). Its values go into an alert before they are replaced.
    IF v_differs AND p_write AND v_stored.appointment_id IS NULL
       AND pg_catalog.jsonb_strip_nulls(pg_catalog.to_jsonb(v_stored)) <> '{}'::jsonb THEN
        PERFORM dbguard.raise_alert('lead_rollup_legacy_replaced', 'warning', 'lead', p_lead_id::text,
            pg_catalog.format('lead %s: rollup data without an appointment row was replaced; the old values are in details', p_lead_id),
            pg_catalog.jsonb_build_object('lead_id', p_lead_id, 'old_rollup', pg_catalog.jsonb_strip_nulls(pg_catalog.to_jsonb(v_stored)),
                                          'primary_appointment_id', v_primary.id),
            'trigger', true, 'lead_rollup');
    END IF;

    IF v_differs AND p_write THEN
        UPDATE public.leads l
           SET appointment_id = v_primary.id,
               appointment_start_at = v_primary.starts_at,
               appointment_end_at = v_primary.ends_at,
               appointment_status = v_primary.status,
               appointment_canceled_at = v_primary.cancelled_at,
               appointment_provider = v_primary.provider,
               appointment_source = v_primary.booking_source,
               appointment_last_checked_at = pg_catalog.now()
         WHERE l.id = p_lead_id;
    END IF;
    RETURN v_differs;
END
$$;
