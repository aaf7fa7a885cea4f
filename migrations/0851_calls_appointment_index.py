"""An index on calls.appointment_id, built CONCURRENTLY, for the foreign key that 0852 adds (deleting an appointment finds the calls that name it without scanning calls)."""
from dbguard import steps

__transactional__ = False

for apply_sql, rollback_sql in steps.schema_statements("0851_calls_appointment_index"):
    step(apply_sql, rollback_sql)
