"""Rule modes read without a query: dbguard.rule_mode() is rewritten from dbguard.rule_settings by a trigger on it, and every rule reads its mode through it; with the same new versions, fewer statements per booking (lead rollup written directly for a sooner primary, booking check without a locking read for the call's own events, creation metadata's commonest codes from a pinned list) (issue 7)."""
from dbguard import steps

step(*steps.functions("write_rule_mode", "tg_rule_settings__rule_mode"))
step(*steps.functions("rule_mode", version=3))
step(*steps.schema("0705_rule_mode_trigger"))
step(*steps.functions("tg_vocabularies__pinned_codes", version=2))
step(*steps.schema("0705_pinned_creation_codes"))
for rule, version in [
    ("appointment_history", 4),
    ("appointment_link_sync", 5),
    ("booking_confirmed_requires_appointment", 4),
    ("call_direction_default", 5),
    ("cancellation_metadata", 4),
    ("creation_metadata", 4),
    ("customer_link_sync", 4),
    ("lead_rollup", 5),
    ("outcome_flag_sync", 4),
    ("pii_redaction", 6),
    ("reschedule_metadata", 3),
]:
    step(*steps.rule(rule, version))
