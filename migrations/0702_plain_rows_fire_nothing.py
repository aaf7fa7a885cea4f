"""Rows that cannot break a rule fire no PL/pgSQL: WHEN clauses, pinned vocabulary codes, link-status defaults; the lead rollup skips bookings that cannot change the primary appointment, a cheaper PII pre-check, the created history row inserted directly (issue 7)."""
from dbguard import steps

step(*steps.functions("tg_vocabularies__pinned_codes"))
step(*steps.schema("0702_plain_rows_fire_nothing"))
for rule, version in [
    ("call_direction_default", 4),
    ("customer_link_sync", 3),
    ("outcome_flag_sync", 3),
    ("appointment_link_sync", 3),
    ("lead_rollup", 3),
    ("pii_redaction", 3),
    ("appointment_history", 3),
]:
    step(*steps.rule(rule, version))
