"""Rule call_direction_default, version 2: every mode, vocabulary check on insert and update."""
from dbguard import steps

step(*steps.functions("vocabulary_value"))
step(*steps.rule("call_direction_default", 2))
