"""Rule reschedule_metadata, version 1."""
from dbguard import steps

step(*steps.rule("reschedule_metadata", 1))
