"""Rule creation_metadata, version 1."""
from dbguard import steps

step(*steps.rule("creation_metadata", 1))
