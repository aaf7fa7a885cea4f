"""Rule outcome_flag_sync, version 1."""
from dbguard import steps

step(*steps.rule("outcome_flag_sync", 1))
