-- Admin: closes a breaker by hand (the dependency is known to be back), and
-- keeps that as a transition. Not for application roles (see docs).
CREATE OR REPLACE FUNCTION dbguard.breaker_reset(p_key text, p_now timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states;
BEGIN
    SELECT * INTO v_row FROM dbguard.circuit_breaker_states s WHERE s.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dbguard: no circuit breaker %', pg_catalog.quote_literal(coalesce(p_key, 'NULL'))
            USING ERRCODE = '23Q01', HINT = 'list the breakers with: dbguard breaker';
    END IF;
    IF v_row.state <> 'closed' THEN
        PERFORM dbguard.breaker_log_transition(p_key, v_row.state, 'closed', 'reset', NULL, v_now);
    END IF;
    UPDATE dbguard.circuit_breaker_states
       SET failure_count = 0, success_count = 0, trial_started_at = NULL, updated_at = v_now
     WHERE key = p_key;
    RETURN 'closed';
END
$$;
REVOKE ALL ON FUNCTION dbguard.breaker_reset(text, timestamptz) FROM PUBLIC;
