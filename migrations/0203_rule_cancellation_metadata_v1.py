"""Rule cancellation_metadata, version 1."""
from dbguard import steps

step(*steps.rule("cancellation_metadata", 1))
