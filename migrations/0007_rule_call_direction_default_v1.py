"""Rule call_direction_default, version 1."""
from dbguard import steps

step(*steps.rule("call_direction_default", 1))
