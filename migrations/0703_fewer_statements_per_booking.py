"""Fewer statements per booking: no booking check queued for the link sync's own write, the PII first test in WHEN clauses, no cancellation trigger for a plain new appointment (status_changed_at from a column default), the lead rollup and creation metadata in fewer queries (issue 7)."""
from dbguard import steps

step(*steps.schema("0703_fewer_statements_per_booking"))
for rule, version in [
    ("appointment_link_sync", 4),
    ("booking_confirmed_requires_appointment", 3),
    ("pii_redaction", 4),
    ("cancellation_metadata", 3),
    ("lead_rollup", 4),
    ("creation_metadata", 3),
]:
    step(*steps.rule(rule, version))
