"""dbguard 1.0: schemas, bookkeeping, vocabularies, domain tables and constraints, alerts, review queue, host mappings, circuit breakers."""
from dbguard import steps

step(*steps.schema("01_bookkeeping"))
# Called by this migration and the next: part of the baseline, not repeatable objects.
step(*steps.functions("add_constraint_if_missing", "assert_unique", "drop_invalid_index"))
step(*steps.schema("02_vocabularies"))
step(*steps.schema("03_domain_tables"))
step(*steps.schema("04_domain_constraints"))
step(*steps.schema("05_alerts"))
step(*steps.schema("06_review_queue"))
step(*steps.schema("07_host_mappings"))
step(*steps.schema("08_circuit_breaker"))
step(*steps.schema("09_resolver_writes"))
step(*steps.schema("10_pending_lead_rollups"))
# Rolled back first (steps roll back last-first): the functions, rules and
# bookkeeping objects `dbguard migrate` installed after the migrations.
step(None, steps.read_sql("schema/remove_repeatables.sql"))
