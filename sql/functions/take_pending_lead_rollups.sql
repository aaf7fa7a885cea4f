-- Takes up to p_limit pending lead rollups off dbguard.pending_lead_rollups
-- (lowest lead ids first), skipping entries another session is taking, and
-- returns their lead ids. The caller recomputes them, or queues them again
-- (dbguard.queue_pending_lead_rollup) when a lead is still locked; both happen
-- in the caller's transaction, so a failure puts them back.
-- SECURITY DEFINER: the application role cannot write dbguard's tables.
-- PL/pgSQL, not SQL: its query plan is kept for the session (PostgreSQL before
-- 18 plans a SQL function's body again at every call, once per commit here).
CREATE OR REPLACE FUNCTION dbguard.take_pending_lead_rollups(p_limit integer DEFAULT 100)
RETURNS SETOF bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    DELETE FROM dbguard.pending_lead_rollups p
     WHERE p.lead_id IN (SELECT q.lead_id FROM dbguard.pending_lead_rollups q
                          ORDER BY q.lead_id
                          LIMIT greatest(1, least(coalesce(p_limit, 100), 10000))
                            FOR UPDATE SKIP LOCKED)
    RETURNING p.lead_id;
END
$$;
REVOKE ALL ON FUNCTION dbguard.take_pending_lead_rollups(integer) FROM PUBLIC;
