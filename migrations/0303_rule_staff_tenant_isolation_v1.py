"""Rule staff_tenant_isolation, version 1."""
from dbguard import steps

step(*steps.rule("staff_tenant_isolation", 1))
