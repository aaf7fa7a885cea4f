"""Privilege model: every dbguard function pins search_path = pg_catalog, pg_temp and is not executable by PUBLIC; rule trigger functions and the client functions that write alerts or review entries run as their owner; register_rule applies the same to every rule version it installs; the history, host mapping audit, reschedule chain and PII redaction functions refuse to run on any other table (docs/security.md)."""
from dbguard import steps

step(*steps.functions("secure_function"))
step(*steps.functions("register_rule", version=3))
step(*steps.functions("write_rule_mode", version=3))
step(*steps.functions("write_lookup_functions", version=2))
step(*steps.schema("0800_privilege_model"))
for rule, version in [("appointment_history", 7), ("host_mapping_audit", 2), ("reschedule_chain", 3),
                      ("pii_redaction", 9)]:
    step(*steps.rule(rule, version))
