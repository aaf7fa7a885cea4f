-- Work items only (recomputable from the appointments; lead_rollup_drift finds
-- what they would have fixed).
DROP TABLE IF EXISTS dbguard.pending_lead_rollups;
