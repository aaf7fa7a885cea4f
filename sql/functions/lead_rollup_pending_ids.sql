-- The lead ids a transaction's appointment writes recorded for lead_rollup
-- (the setting dbguard.lead_rollup_leads, comma-separated). Anything that is not
-- a plain id is ignored: the setting is transaction-local, but any session can
-- write it.
-- PL/pgSQL, not SQL: its query plan is kept for the session (PostgreSQL before
-- 18 plans a SQL function's body again at every call).
CREATE OR REPLACE FUNCTION dbguard.lead_rollup_pending_ids(p_list text)
RETURNS bigint[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- As the triggers write it: a cast, without a query.
    IF p_list ~ '^[0-9]{1,18}(,[0-9]{1,18})*$' THEN
        RETURN pg_catalog.string_to_array(p_list, ',')::bigint[];
    END IF;
    RETURN (SELECT coalesce(pg_catalog.array_agg(DISTINCT x::bigint), '{}'::bigint[])
              FROM pg_catalog.unnest(pg_catalog.string_to_array(coalesce(p_list, ''), ',')) x
             WHERE x ~ '^[0-9]{1,18}$');
END
$$;
REVOKE ALL ON FUNCTION dbguard.lead_rollup_pending_ids(text) FROM PUBLIC;
