-- Admin: sets the thresholds of one key (creating its breaker if needed);
-- NULL keeps a value as it is.
CREATE OR REPLACE FUNCTION dbguard.breaker_configure(
    p_key text,
    p_failure_threshold integer DEFAULT NULL,
    p_cooldown interval DEFAULT NULL,
    p_success_threshold integer DEFAULT NULL,
    p_trial_timeout interval DEFAULT NULL)
RETURNS dbguard.circuit_breaker_states
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_row dbguard.circuit_breaker_states := dbguard.breaker_lock(p_key);
BEGIN
    UPDATE dbguard.circuit_breaker_states s
       SET failure_threshold = coalesce(p_failure_threshold, s.failure_threshold),
           cooldown = coalesce(p_cooldown, s.cooldown),
           success_threshold = coalesce(p_success_threshold, s.success_threshold),
           trial_timeout = coalesce(p_trial_timeout, s.trial_timeout),
           updated_at = pg_catalog.now()
     WHERE s.key = p_key
    RETURNING * INTO v_row;
    RETURN v_row;
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_configure(text, integer, interval, integer, interval) FROM PUBLIC;
