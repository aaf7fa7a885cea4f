-- The body of dbguard.breaker_allow, at the time p_now: the owner's variant, for tests and
-- replays (NULL: the dbguard.now setting, else the wall clock). Not for applications:
-- dbguard.breaker_allow takes the server's time (docs/security.md).
-- May the caller try the dependency now? Closed: yes. Open: no, until the
-- cool-down is over; then exactly one caller gets the trial call (the breaker
-- goes half-open). Half-open: no while a trial is out, unless that trial has
-- not reported back within trial_timeout (its caller died): then this caller
-- takes the trial over.
CREATE OR REPLACE FUNCTION dbguard.breaker_allow_at(p_key pg_catalog.text, p_now pg_catalog.timestamptz)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now pg_catalog.timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states;
BEGIN
    -- The common case, closed, needs neither the row lock nor a write: every
    -- server would otherwise queue on the key's row for each call. Seeing
    -- 'closed' just as another session opens the breaker is the same as
    -- having called a moment earlier.
    IF EXISTS (SELECT 1 FROM dbguard.circuit_breaker_states s WHERE s.key = p_key AND s.state = 'closed') THEN
        RETURN true;
    END IF;
    v_row := dbguard.breaker_lock(p_key);
    IF v_row.state = 'closed' THEN
        RETURN true;
    ELSIF v_row.state = 'open' THEN
        IF v_now < v_row.opened_at + v_row.cooldown THEN
            RETURN false;
        END IF;
        PERFORM dbguard.breaker_log_transition(p_key, 'open', 'half_open', 'cooldown_elapsed', NULL, v_now);
    ELSIF v_row.trial_started_at IS NOT NULL AND v_now < v_row.trial_started_at + v_row.trial_timeout THEN
        RETURN false;
    END IF;
    UPDATE dbguard.circuit_breaker_states SET trial_started_at = v_now, updated_at = v_now WHERE key = p_key;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_allow_at(text, timestamptz) FROM PUBLIC;
