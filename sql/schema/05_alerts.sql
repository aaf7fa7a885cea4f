-- Alerts raised by rules (detected_by 'trigger') and by scans ('scan').
-- Applications cannot insert here directly: they go through
-- dbguard.raise_alert, which is SECURITY DEFINER (see docs/concepts.md).
CREATE TABLE IF NOT EXISTS dbguard.data_consistency_alerts (
    id              bigserial PRIMARY KEY,
    alert_type      text NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    entity_type     text NOT NULL,
    entity_id       text,
    description     text NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    detected_at     timestamptz NOT NULL DEFAULT now(),
    detected_by     text NOT NULL CHECK (detected_by IN ('trigger', 'scan')),
    rule            text,
    auto_corrected  boolean NOT NULL DEFAULT false,
    resolved_at     timestamptz,
    resolved_by     text
);

CREATE INDEX IF NOT EXISTS data_consistency_alerts_detected_at_idx
    ON dbguard.data_consistency_alerts (detected_at);
-- At most one open alert per kind and entity from scans: a later scan finds
-- the open one instead of adding a duplicate.
CREATE UNIQUE INDEX IF NOT EXISTS data_consistency_alerts_open_scan_key
    ON dbguard.data_consistency_alerts (alert_type, entity_type, entity_id)
    WHERE resolved_at IS NULL AND detected_by = 'scan';
CREATE INDEX IF NOT EXISTS data_consistency_alerts_open_idx
    ON dbguard.data_consistency_alerts (entity_type, entity_id)
    WHERE resolved_at IS NULL;
