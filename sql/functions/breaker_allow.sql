-- May the caller try the dependency now? (breaker_allow_at has the rules.)
-- The client API: SECURITY DEFINER, so that applications use the breaker
-- without write access to its tables, and at the server's time: no argument
-- or setting of the application's moves the shared clock (docs/security.md).
-- A time of the caller's choosing is the owner's dbguard.breaker_allow_at.
CREATE OR REPLACE FUNCTION dbguard.breaker_allow(p_key pg_catalog.text)
RETURNS pg_catalog.bool
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.length(p_key) > 200 THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker key is at most 200 characters, this one has %', pg_catalog.length(p_key)
            USING ERRCODE = '22001', HINT = 'Name the protected dependency, e.g. ''calcom''.';
    END IF;
    RETURN dbguard.breaker_allow_at(p_key, dbguard.breaker_now(NULL));
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_allow(text) FROM PUBLIC;
