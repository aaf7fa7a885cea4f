"""Indexes for the detection rules: appointments.external_id, leads.created_at (CONCURRENTLY)."""
from dbguard import steps

__transactional__ = False

for apply_sql, rollback_sql in steps.schema_statements("0401_operations_indexes"):
    step(apply_sql, rollback_sql)
