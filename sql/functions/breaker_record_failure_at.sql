-- The body of dbguard.breaker_record_failure, at the time p_now: the owner's variant, for tests and
-- replays (NULL: the dbguard.now setting, else the wall clock). Not for applications:
-- dbguard.breaker_record_failure takes the server's time (docs/security.md).
-- Reports a failed call. Closed: failure_threshold consecutive failures open
-- the breaker. Half-open: a failed trial opens it again (a new cool-down).
-- Open: only noted; a late failure does not extend the cool-down.
-- Returns the state after the report. 
CREATE OR REPLACE FUNCTION dbguard.breaker_record_failure_at(p_key pg_catalog.text, p_error pg_catalog.text, p_now pg_catalog.timestamptz)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now pg_catalog.timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states := dbguard.breaker_lock(p_key);
    v_error text := pg_catalog.left(p_error, 2000);
BEGIN
    UPDATE dbguard.circuit_breaker_states s
       SET last_failure_at = v_now, last_error = coalesce(v_error, s.last_error), updated_at = v_now,
           failure_count = s.failure_count + 1
     WHERE s.key = p_key;
    IF v_row.state = 'half_open' THEN
        PERFORM dbguard.breaker_log_transition(p_key, 'half_open', 'open', 'trial_failed', v_error, v_now);
        RETURN 'open';
    ELSIF v_row.state = 'closed' AND v_row.failure_count + 1 >= v_row.failure_threshold THEN
        PERFORM dbguard.breaker_log_transition(p_key, 'closed', 'open', 'failure_threshold', v_error, v_now);
        RETURN 'open';
    END IF;
    RETURN v_row.state;
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_record_failure_at(text, text, timestamptz) FROM PUBLIC;
