-- Records that a lead's rollup still has to be brought up to date (its row was
-- locked by another transaction when this one's commit step ran).
-- SECURITY DEFINER: the application role cannot write dbguard's tables. A lead
-- queued for nothing costs one recomputation that changes nothing.
CREATE OR REPLACE FUNCTION dbguard.queue_pending_lead_rollup(p_lead_id bigint)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO dbguard.pending_lead_rollups (lead_id) VALUES (p_lead_id)
    ON CONFLICT (lead_id) DO NOTHING
$$;
REVOKE ALL ON FUNCTION dbguard.queue_pending_lead_rollup(bigint) FROM PUBLIC;
