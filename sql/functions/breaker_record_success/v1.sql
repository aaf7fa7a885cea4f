-- Reports a successful call. Closed: the failure streak ends. Half-open: one
-- more good trial; success_threshold of them close the breaker. Open: only
-- noted (a call let through before the breaker opened, reporting late).
-- Returns the state after the report. SECURITY DEFINER like breaker_allow.
CREATE OR REPLACE FUNCTION dbguard.breaker_record_success(p_key text, p_now timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_now timestamptz := dbguard.breaker_now(p_now);
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
REVOKE ALL ON FUNCTION dbguard.breaker_record_success(text, timestamptz) FROM PUBLIC;
