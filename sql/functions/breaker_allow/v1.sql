-- May the caller try the dependency now? Closed: yes. Open: no, until the
-- cool-down is over; then exactly one caller gets the trial call (the breaker
-- goes half-open). Half-open: no while a trial is out, unless that trial has
-- not reported back within trial_timeout (its caller died): then this caller
-- takes the trial over.
-- SECURITY DEFINER: application roles use the breaker without write access
-- to its tables.
CREATE OR REPLACE FUNCTION dbguard.breaker_allow(p_key text, p_now timestamptz DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_now timestamptz := dbguard.breaker_now(p_now);
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
REVOKE ALL ON FUNCTION dbguard.breaker_allow(text, timestamptz) FROM PUBLIC;
