-- The breaker's clock: an explicit p_now, else the dbguard.now setting (tests
-- and replays set it to move time without sleeping), else the wall clock.
-- clock_timestamp(), not now(): a long transaction must not freeze the clock.
CREATE OR REPLACE FUNCTION dbguard.breaker_now(p_now timestamptz DEFAULT NULL)
RETURNS timestamptz
LANGUAGE sql
VOLATILE
SET search_path = ''
AS $$
    SELECT coalesce(p_now,
                    NULLIF(pg_catalog.current_setting('dbguard.now', true), '')::timestamptz,
                    pg_catalog.clock_timestamp())
$$;
