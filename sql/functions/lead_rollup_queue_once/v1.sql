-- True the first time it is called in a transaction (and again after the
-- commit step has run, e.g. at SET CONSTRAINTS ... IMMEDIATE): the WHEN clause
-- of lead_rollup's deferred trigger, so that one commit-time event is queued
-- per transaction however many appointments it writes. Transaction-local, and
-- undone with a rolled-back savepoint together with the event it queued.
CREATE OR REPLACE FUNCTION dbguard.lead_rollup_queue_once()
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.current_setting('dbguard.lead_rollup_queued', true) = 'on' THEN
        RETURN false;
    END IF;
    PERFORM pg_catalog.set_config('dbguard.lead_rollup_queued', 'on', true);
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION dbguard.lead_rollup_queue_once() FROM PUBLIC;
