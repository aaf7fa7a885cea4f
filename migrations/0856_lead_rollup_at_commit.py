"""lead_rollup brings rollups up to date once per transaction, at commit, in ascending lead order, without waiting for a lead row another transaction holds (queued in dbguard.pending_lead_rollups instead): no deadlock or serialisation that the same workload lacks with the rules off."""
from dbguard import steps

step(*steps.schema("0856_pending_lead_rollups"))
step(*steps.functions("lead_rollup_pending_ids", "queue_pending_lead_rollup",
                      "take_pending_lead_rollups", "refresh_lead_rollups", "lead_rollup_step"))
# Rolled back after the rule (steps roll back last-first): v7's commit-step function,
# which version 6 and the rule's revert.sql do not know, once its trigger is gone.
step("SELECT 1", "DROP FUNCTION IF EXISTS dbguard.tg_appointments__lead_rollup_at_commit();")
step(*steps.rule("lead_rollup", 7))
