"""New versions of the rules on the booking path: mode, acting settings and vocabulary lookups read inline (issue 7)."""
from dbguard import steps

for rule, version in [
    ("call_direction_default", 3),
    ("customer_link_sync", 2),
    ("outcome_flag_sync", 2),
    ("appointment_link_sync", 2),
    ("booking_confirmed_requires_appointment", 2),
    ("creation_metadata", 2),
    ("pii_redaction", 2),
    ("cancellation_metadata", 2),
    ("reschedule_metadata", 2),
    ("lead_rollup", 2),
    ("appointment_history", 2),
]:
    step(*steps.rule(rule, version))
