-- Leads whose rollup a transaction could not bring up to date at its commit
-- because another transaction held the lead row (lead_rollup never waits for
-- a lead at commit: see docs/rules/lead_rollup.md). The next transaction that
-- runs the rollup step at its commit, dbguard.refresh_lead_rollups(), or
-- `dbguard reconcile --rule lead_rollup_drift` brings them up to date. Work
-- items only: a row here is recomputable from the appointments.
CREATE TABLE IF NOT EXISTS dbguard.pending_lead_rollups (
    lead_id    bigint PRIMARY KEY,
    queued_at  timestamptz NOT NULL DEFAULT now()
);
