-- Cases a person has to look at: a booking that could not be verified, a
-- backfill that could not be done automatically. One pending entry per
-- call and reason; priority 1 is the most urgent.
CREATE TABLE IF NOT EXISTS dbguard.manual_review_queue (
    id               bigserial PRIMARY KEY,
    call_id          bigint,
    reason           text NOT NULL,
    priority         smallint NOT NULL CHECK (priority BETWEEN 1 AND 5),
    context          jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'in_progress', 'resolved', 'dismissed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    resolved_by      text,
    resolution_note  text
);

CREATE UNIQUE INDEX IF NOT EXISTS manual_review_queue_pending_key
    ON dbguard.manual_review_queue (call_id, reason)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS manual_review_queue_open_idx
    ON dbguard.manual_review_queue (priority, created_at)
    WHERE status IN ('pending', 'in_progress');

-- A repeated review request (same call and reason, still pending) is counted,
-- not merged into the first one's evidence.
ALTER TABLE dbguard.manual_review_queue
    ADD COLUMN IF NOT EXISTS occurrences integer NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS last_occurred_at timestamptz;
