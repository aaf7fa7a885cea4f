"""A booking queues no commit-time check (a write that keeps a claim the call already had cannot break it), and the PII first test looks for a phone number's tail instead of rebuilding the JSON text without its timestamps (issue 7)."""
from dbguard import steps

step(*steps.rule("booking_confirmed_requires_appointment", 5))
step(*steps.rule("pii_redaction", 7))
