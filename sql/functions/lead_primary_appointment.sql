-- The appointment a lead's rollup describes (DESIGN.md §2, lead_rollup): the
-- next upcoming active one (status with is_active in dbguard.vocabularies,
-- starts_at >= now()), else the latest active one, else the latest cancelled
-- one ("latest" by starts_at, a missing start last); ties go to the soonest
-- upcoming / the highest id. NULL when there is none. The one definition used
-- by the lead_rollup trigger, dbguard.refresh_lead_rollup and drift checks.
-- PL/pgSQL, so the query's plan is kept for the session instead of being
-- planned again in every transaction.
CREATE OR REPLACE FUNCTION dbguard.lead_primary_appointment(p_lead_id bigint)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT a.id INTO v_id
      FROM public.appointments a
      LEFT JOIN dbguard.vocabularies v
             ON v.vocabulary = 'appointment_status' AND v.code = a.status
     WHERE a.lead_id = p_lead_id
       AND (coalesce(v.is_active, false) OR a.status = 'cancelled')
     ORDER BY CASE WHEN coalesce(v.is_active, false) AND a.starts_at >= pg_catalog.now() THEN 0
                   WHEN coalesce(v.is_active, false) THEN 1
                   ELSE 2 END,
              -- upcoming: the soonest first; the others: the latest first
              CASE WHEN coalesce(v.is_active, false) AND a.starts_at >= pg_catalog.now() THEN a.starts_at END,
              a.starts_at DESC NULLS LAST,
              a.id DESC
     LIMIT 1;
    RETURN v_id;
END
$$;
