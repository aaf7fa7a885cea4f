"""Rule customer_link_sync, version 1."""
from dbguard import steps

step(*steps.rule("customer_link_sync", 1))
