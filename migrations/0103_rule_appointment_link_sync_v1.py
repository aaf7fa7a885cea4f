"""Rule appointment_link_sync, version 1."""
from dbguard import steps

step(*steps.rule("appointment_link_sync", 1))
