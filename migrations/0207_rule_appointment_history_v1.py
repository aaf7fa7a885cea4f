"""Rule appointment_history, version 1."""
from dbguard import steps

step(*steps.rule("appointment_history", 1))
