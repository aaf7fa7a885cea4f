"""Helpers called by every trigger become PL/pgSQL (plans kept per session, not per transaction): issue 7."""
from dbguard import steps

step(*steps.functions("rule_mode", "acting", "in_vocabulary", "lead_primary_appointment", "redact_pii_text",
                      version=2))
