"""The booking domain tables (DESIGN.md §1.1): created if missing, extended if present."""
from dbguard import steps

step(*steps.schema("0004_domain_tables"))
