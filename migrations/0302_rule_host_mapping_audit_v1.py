"""Rule host_mapping_audit, version 1."""
from dbguard import steps

step(*steps.rule("host_mapping_audit", 1))
