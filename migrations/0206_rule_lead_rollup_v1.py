"""Rule lead_rollup, version 1."""
from dbguard import steps

step(*steps.rule("lead_rollup", 1))
