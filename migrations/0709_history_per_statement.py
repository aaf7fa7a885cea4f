"""A new appointment's history row is written per statement, not per row: one INSERT ... SELECT over the statement's new rows, so a bulk insert runs the history function once (issue 7)."""
from dbguard import steps

step(*steps.rule("appointment_history", 6))
