-- The client breaker functions of 0801 go (their v1, with the time argument, is
-- installed again by the migration's rollback); repeat counts are dropped.
DROP FUNCTION IF EXISTS dbguard.breaker_allow(text);
DROP FUNCTION IF EXISTS dbguard.breaker_record_success(text);
DROP FUNCTION IF EXISTS dbguard.breaker_record_failure(text, text);
ALTER TABLE dbguard.manual_review_queue
    DROP COLUMN IF EXISTS occurrences,
    DROP COLUMN IF EXISTS last_occurred_at;
