-- Brings a lead's rollup columns in line with its primary appointment
-- (the choice of dbguard.lead_primary_appointment) and says whether they
-- differed (dbguard.refresh_locked_lead_rollup does the work). With p_write the
-- lead row is locked FOR NO KEY UPDATE first, and the recomputation then runs
-- as a new statement: under READ COMMITTED a writer that waited for the lock
-- sees every change committed before it, so concurrent writers never leave a
-- stale rollup. NO KEY UPDATE, not UPDATE: it does not conflict with the KEY
-- SHARE locks that foreign-key checks of appointments take on the lead.
-- p_write = false only compares (shadow mode), without locking.
CREATE OR REPLACE FUNCTION dbguard.refresh_lead_rollup(p_lead_id bigint, p_write boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_write THEN
        PERFORM 1 FROM public.leads l WHERE l.id = p_lead_id FOR NO KEY UPDATE;
    END IF;
    RETURN dbguard.refresh_locked_lead_rollup(p_lead_id, p_write);
END
$$;
