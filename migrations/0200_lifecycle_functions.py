"""Helpers of the appointment lifecycle rules: PII redaction, mode-aware violation and vocabulary reporting."""
from dbguard import steps

step(*steps.functions("redact_pii_text", "redact_pii", "rule_violation", "vocabulary_checked"))
