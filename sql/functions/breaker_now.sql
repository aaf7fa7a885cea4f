-- The breaker's clock: an explicit p_now (the owner's *_at variants), else the
-- dbguard.now setting when the session's login is (a member of) the function
-- owner -- tests and replays move time without sleeping --, else the wall
-- clock. An application's session cannot move the shared breakers' clock with
-- a setting, and a time that is not finite (infinity) is refused: it would
-- keep a breaker open, for every server, for ever.
-- clock_timestamp(), not now(): a long transaction must not freeze the clock.
CREATE OR REPLACE FUNCTION dbguard.breaker_now(p_now pg_catalog.timestamptz DEFAULT NULL)
RETURNS pg_catalog.timestamptz
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now pg_catalog.timestamptz := p_now;
BEGIN
    IF v_now IS NULL AND pg_catalog.current_setting('dbguard.now', true) <> ''
       AND pg_catalog.pg_has_role(session_user, current_user, 'MEMBER') THEN
        v_now := pg_catalog.current_setting('dbguard.now', true)::pg_catalog.timestamptz;
    END IF;
    IF v_now IS NULL THEN
        RETURN pg_catalog.clock_timestamp();
    END IF;
    IF NOT pg_catalog.isfinite(v_now) THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker''s time must be finite, not %', v_now
            USING ERRCODE = '22008',
                  HINT = 'Pass a real time, or none: the breaker then uses the server''s clock.';
    END IF;
    RETURN v_now;
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_now(timestamptz) FROM PUBLIC;
