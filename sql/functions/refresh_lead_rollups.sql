-- The commit step of lead_rollup: brings the rollups of p_leads, then of
-- up to 100 pending leads (dbguard.pending_lead_rollups), in line with their
-- primary appointments. Leads are taken in ascending id order, and a lead whose
-- row another transaction holds is not waited for (SKIP LOCKED): it is queued
-- in dbguard.pending_lead_rollups instead, for the next commit step, this
-- function, or reconcile. So the rollup never makes a transaction wait for, or
-- deadlock with, a transaction that holds a lead row (an admin screen updating
-- the lead, then its appointment). Two commit steps of the same lead take
-- turns instead (an advisory lock per lead, class 1684499314, only ever taken
-- here): the later one sees the earlier one's appointments, so concurrent
-- writers of one lead leave nothing pending. Returns how many leads were left
-- pending.
-- Also callable directly (a cron job can flush the pending leads:
-- SELECT dbguard.refresh_lead_rollups('{}')).
CREATE OR REPLACE FUNCTION dbguard.refresh_lead_rollups(p_leads bigint[])
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_lead bigint;
    v_left integer := 0;
    v_taken bigint[];
    v_serialise boolean;
    v_ignored text;
    v_leads bigint[];
BEGIN
    -- The queue is nearly always empty: a look costs less than taking from it.
    IF EXISTS (SELECT 1 FROM dbguard.pending_lead_rollups) THEN
        v_taken := ARRAY(SELECT l FROM dbguard.take_pending_lead_rollups(100) l);
    ELSE
        v_taken := '{}';
    END IF;
    -- Up to 64 leads a step take turns with other steps (a transaction-level
    -- advisory lock per lead); more (a bulk import) would fill the lock table, so
    -- a large step relies on SKIP LOCKED and the pending queue alone.
    v_leads := coalesce(p_leads, '{}'::bigint[]) || v_taken;
    -- Ascending and distinct; one lead (a booking) is both without a query.
    IF pg_catalog.cardinality(v_leads) > 1 THEN
        v_leads := ARRAY(SELECT DISTINCT l FROM pg_catalog.unnest(v_leads) l ORDER BY l);
    END IF;
    v_serialise := pg_catalog.cardinality(v_leads) <= 64;
    FOREACH v_lead IN ARRAY v_leads LOOP
        CONTINUE WHEN v_lead IS NULL;
        IF v_serialise THEN
            -- Commit steps of the same lead take turns (held to commit, taken in
            -- ascending order, and only by commit steps: no cycle), so the second
            -- one reads the first one's appointments. The next statement sees what
            -- the other committed. Assignments, not PERFORM: a function call
            -- starts no query.
            v_ignored := pg_catalog.pg_advisory_xact_lock(1684499314, (v_lead % 2147483647)::integer);
        END IF;
        PERFORM 1 FROM public.leads l WHERE l.id = v_lead FOR NO KEY UPDATE OF l SKIP LOCKED;
        IF FOUND THEN
            -- locked above: the work without a second lock
            v_ignored := dbguard.refresh_locked_lead_rollup(v_lead, true);
        ELSIF EXISTS (SELECT 1 FROM public.leads l WHERE l.id = v_lead) THEN
            PERFORM dbguard.queue_pending_lead_rollup(v_lead);
            v_left := v_left + 1;
        END IF;
    END LOOP;
    RETURN v_left;
END
$$;
REVOKE ALL ON FUNCTION dbguard.refresh_lead_rollups(bigint[]) FROM PUBLIC;
