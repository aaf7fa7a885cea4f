"""Fewer PL/pgSQL statements on the booking's path: the history row of a new appointment reads the acting settings inside its INSERT, and the PII trigger's first test is one IF (issue 7)."""
from dbguard import steps

step(*steps.rule("appointment_history", 5))
step(*steps.rule("pii_redaction", 8))
