"""Shared state the application reaches takes only the server's time and cannot be overwritten: breaker_allow / breaker_record_success / breaker_record_failure lose their time argument (the owner keeps breaker_*_at), a breaker's clock setting is honoured for the owner only and must be finite, enqueue_review keeps the first request's evidence and counts repeats, reasons, contexts, descriptions and details are bounded, and the alert notification carries no written value (docs/security.md)."""
from dbguard import steps

step(*steps.schema("0801_shared_state_from_the_server"))
step(*steps.functions("breaker_now", version=2))
step(*steps.functions("breaker_allow_at", "breaker_record_success_at", "breaker_record_failure_at"))
step(*steps.functions("breaker_allow", "breaker_record_success", "breaker_record_failure", version=2))
step(*steps.functions("enqueue_review", version=2))
step(*steps.functions("raise_alert", version=4))
