-- The body of dbguard.breaker_record_success, at the time p_now: the owner's variant, for tests and
-- replays (NULL: the dbguard.now setting, else the wall clock). Not for applications:
-- dbguard.breaker_record_success takes the server's time (docs/security.md).
-- Reports a successful call. Closed: the failure streak ends. Half-open: one
-- more good trial; success_threshold of them close the breaker. Open: only
-- noted (a call let through before the breaker opened, reporting late).
-- Returns the state after the report. 
CREATE OR REPLACE FUNCTION dbguard.breaker_record_success_at(p_key pg_catalog.text, p_now pg_catalog.timestamptz)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now pg_catalog.timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states := dbguard.breaker_lock(p_key);
BEGIN
    UPDATE dbguard.circuit_breaker_states s
       SET last_success_at = v_now, updated_at = v_now,
           failure_count = CASE WHEN s.state = 'closed' THEN 0 ELSE s.failure_count END,
           success_count = CASE WHEN s.state = 'half_open' THEN s.success_count + 1 ELSE s.success_count END,
           trial_started_at = CASE WHEN s.state = 'half_open' THEN NULL ELSE s.trial_started_at END
     WHERE s.key = p_key;
    IF v_row.state = 'half_open' AND v_row.success_count + 1 >= v_row.success_threshold THEN
        PERFORM dbguard.breaker_log_transition(p_key, 'half_open', 'closed', 'recovered', NULL, v_now);
        RETURN 'closed';
    END IF;
    RETURN v_row.state;
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_record_success_at(text, timestamptz) FROM PUBLIC;
