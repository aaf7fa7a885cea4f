"""Rule host_staff_assignment, version 1."""
from dbguard import steps

step(*steps.rule("host_staff_assignment", 1))
