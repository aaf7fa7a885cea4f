-- The breaker row of a key, created closed on first use, locked FOR UPDATE so
-- that concurrent callers on the same key take their turns: whoever waited
-- sees the row as the previous caller left it (READ COMMITTED re-reads it).
CREATE OR REPLACE FUNCTION dbguard.breaker_lock(p_key text)
RETURNS dbguard.circuit_breaker_states
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row dbguard.circuit_breaker_states;
BEGIN
    IF p_key IS NULL OR pg_catalog.btrim(p_key) = '' THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker needs a key'
            USING ERRCODE = '23Q01', HINT = 'name the protected dependency, e.g. ''calcom''';
    END IF;
    INSERT INTO dbguard.circuit_breaker_states (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
    SELECT * INTO v_row FROM dbguard.circuit_breaker_states s WHERE s.key = p_key FOR UPDATE;
    RETURN v_row;
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_lock(text) FROM PUBLIC;
