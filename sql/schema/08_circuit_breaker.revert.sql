DROP TABLE IF EXISTS dbguard.circuit_breaker_transitions;
DROP TABLE IF EXISTS dbguard.circuit_breaker_states;
