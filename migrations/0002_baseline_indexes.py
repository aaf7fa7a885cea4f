"""dbguard 1.0: unique provider keys and lookup indexes, built CONCURRENTLY."""
from dbguard import steps

__transactional__ = False

for apply_sql, rollback_sql in steps.schema_statements("11_domain_indexes") + steps.schema_statements("12_operations_indexes"):
    step(apply_sql, rollback_sql)
