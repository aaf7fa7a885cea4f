-- Moves a (locked) breaker to another state and keeps the transition, the
-- record recovery times are measured from.
CREATE OR REPLACE FUNCTION dbguard.breaker_log_transition(
    p_key text, p_from text, p_to text, p_reason text, p_error text, p_at timestamptz)
RETURNS void
LANGUAGE sql
SET search_path = ''
AS $$
    UPDATE dbguard.circuit_breaker_states
       SET state = p_to, state_changed_at = p_at, updated_at = p_at,
           opened_at = CASE WHEN p_to = 'open' THEN p_at WHEN p_to = 'closed' THEN NULL ELSE opened_at END,
           failure_count = CASE WHEN p_to = 'closed' THEN 0 ELSE failure_count END,
           success_count = 0,
           trial_started_at = NULL
     WHERE key = p_key;
    INSERT INTO dbguard.circuit_breaker_transitions (key, from_state, to_state, reason, error, occurred_at)
    VALUES (p_key, p_from, p_to, p_reason, p_error, p_at);
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_log_transition(text, text, text, text, text, timestamptz) FROM PUBLIC;
