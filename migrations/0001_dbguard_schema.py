"""dbguard's schemas and bookkeeping tables."""
from dbguard import steps

step(*steps.schema("0001_dbguard_schema"))
