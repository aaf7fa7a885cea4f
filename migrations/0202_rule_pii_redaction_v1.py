"""Rule pii_redaction, version 1."""
from dbguard import steps

step(*steps.rule("pii_redaction", 1))
