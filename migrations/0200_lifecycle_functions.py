"""Helpers of the appointment lifecycle rules: PII redaction, mode-aware reporting, lead rollup."""
from dbguard import steps

step(*steps.functions("redact_pii_text", "redact_pii", "rule_violation",
                      "lead_primary_appointment", "refresh_lead_rollup"))
