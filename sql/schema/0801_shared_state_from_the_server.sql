-- Shared state the application role reaches through the client API takes only
-- the server's time and cannot be overwritten (docs/security.md).
-- A repeated review request (same call and reason, still pending) is counted,
-- not merged into the first one's evidence: the context of the first request
-- stays as it was written.
ALTER TABLE dbguard.manual_review_queue
    ADD COLUMN IF NOT EXISTS occurrences integer NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS last_occurred_at timestamptz;

-- The breaker functions applications call no longer take a time: it moved to
-- the owner's *_at variants (installed next).
DROP FUNCTION IF EXISTS dbguard.breaker_allow(text, timestamptz);
DROP FUNCTION IF EXISTS dbguard.breaker_record_success(text, timestamptz);
DROP FUNCTION IF EXISTS dbguard.breaker_record_failure(text, text, timestamptz);

-- A time that is not finite (written through the old time argument) would keep
-- a breaker open for ever and cannot be shown by a client: it becomes now, so
-- an open breaker starts its cool-down again.
UPDATE dbguard.circuit_breaker_states
   SET opened_at = CASE WHEN NOT pg_catalog.isfinite(opened_at) THEN pg_catalog.now() ELSE opened_at END,
       trial_started_at = CASE WHEN NOT pg_catalog.isfinite(trial_started_at) THEN pg_catalog.now() ELSE trial_started_at END,
       state_changed_at = CASE WHEN NOT pg_catalog.isfinite(state_changed_at) THEN pg_catalog.now() ELSE state_changed_at END,
       last_failure_at = CASE WHEN NOT pg_catalog.isfinite(last_failure_at) THEN pg_catalog.now() ELSE last_failure_at END,
       last_success_at = CASE WHEN NOT pg_catalog.isfinite(last_success_at) THEN pg_catalog.now() ELSE last_success_at END,
       updated_at = CASE WHEN NOT pg_catalog.isfinite(updated_at) THEN pg_catalog.now() ELSE updated_at END
 WHERE NOT pg_catalog.isfinite(opened_at) OR NOT pg_catalog.isfinite(trial_started_at)
    OR NOT pg_catalog.isfinite(state_changed_at) OR NOT pg_catalog.isfinite(last_failure_at)
    OR NOT pg_catalog.isfinite(last_success_at) OR NOT pg_catalog.isfinite(updated_at);
UPDATE dbguard.circuit_breaker_transitions
   SET occurred_at = pg_catalog.now()
 WHERE NOT pg_catalog.isfinite(occurred_at);
