"""Rule reschedule_chain, version 2: the call is locked before the predecessor (no lock-order deadlock)."""
from dbguard import steps

step(*steps.rule("reschedule_chain", 2))
