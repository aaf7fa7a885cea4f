"""Unique provider keys and lookup indexes, built CONCURRENTLY (no write blocking)."""
from dbguard import steps

__transactional__ = False

for apply_sql, rollback_sql in steps.schema_statements("0006_domain_indexes"):
    step(apply_sql, rollback_sql)
