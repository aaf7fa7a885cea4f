"""Rule reschedule_chain, version 1."""
from dbguard import steps

step(*steps.rule("reschedule_chain", 1))
