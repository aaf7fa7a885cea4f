"""Checks and references between domain tables, NOT VALID (no scan of legacy rows)."""
from dbguard import steps

step(*steps.schema("0005_domain_constraints"))
