"""Circuit breaker: dbguard.circuit_breaker_states, its transitions, breaker_allow / record_success / record_failure."""
from dbguard import steps

step(*steps.schema("0450_circuit_breaker"))
step(*steps.functions("breaker_now", "breaker_lock", "breaker_log_transition", "breaker_allow",
                      "breaker_record_success", "breaker_record_failure", "breaker_reset", "breaker_configure"))
