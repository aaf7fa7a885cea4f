-- Reports a successful call (breaker_record_success_at has the rules). The
-- client API, at the server's time, like dbguard.breaker_allow.
-- A time of the caller's choosing is the owner's dbguard.breaker_record_success_at.
CREATE OR REPLACE FUNCTION dbguard.breaker_record_success(p_key pg_catalog.text)
RETURNS pg_catalog.text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.length(p_key) > 200 THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker key is at most 200 characters, this one has %', pg_catalog.length(p_key)
            USING ERRCODE = '22001', HINT = 'Name the protected dependency, e.g. ''calcom''.';
    END IF;
    RETURN dbguard.breaker_record_success_at(p_key, dbguard.breaker_now(NULL));
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_record_success(text) FROM PUBLIC;
