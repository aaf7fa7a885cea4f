-- Puts a call on the manual review queue, or counts a repeat on the pending
-- entry that is already there for the same call and reason.
-- SECURITY DEFINER: application sessions queue reviews without write access
-- to the queue itself.
-- The evidence of an entry is what its first request wrote (docs/security.md):
-- a repeat adds one to occurrences and sets last_occurred_at (the server's
-- time), and its context is not kept, so no session can overwrite what the
-- first request recorded. Bounded input:
-- a reason longer than 200 characters is refused (it is a code, and the key
-- of the one-pending-entry rule); a context over 16 kB of JSON text is kept as
-- a note of its size and top-level keys, so the request itself is never lost.
CREATE OR REPLACE FUNCTION dbguard.enqueue_review(p_call_id pg_catalog.int8, p_reason pg_catalog.text,
                                                  p_context pg_catalog.jsonb DEFAULT '{}'::pg_catalog.jsonb)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_max_context constant pg_catalog.int4 := 16384;
    v_id pg_catalog.int8;
    v_context pg_catalog.jsonb := coalesce(p_context, '{}'::pg_catalog.jsonb);
    v_size pg_catalog.int4;
BEGIN
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'dbguard: enqueue_review needs a reason'
            USING ERRCODE = '23Q01', HINT = 'e.g. appointment_validation_failed, calcom_booking_failed, service_not_found';
    END IF;
    IF pg_catalog.length(p_reason) > 200 THEN
        RAISE EXCEPTION 'dbguard: enqueue_review: the reason is % characters long, at most 200 are accepted',
                        pg_catalog.length(p_reason)
            USING ERRCODE = '22001',
                  HINT = 'The reason is a short code (e.g. calcom_booking_failed); put the details into the context.';
    END IF;
    v_size := pg_catalog.octet_length(v_context::pg_catalog.text);
    IF v_size > c_max_context THEN
        v_context := pg_catalog.jsonb_build_object(
            'dbguard_truncated', true, 'original_bytes', v_size,
            'keys', CASE WHEN pg_catalog.jsonb_typeof(v_context) = 'object' THEN
                        (SELECT pg_catalog.jsonb_agg(pg_catalog.left(k.key, 100))
                           FROM (SELECT e.key FROM pg_catalog.jsonb_object_keys(v_context) AS e(key) LIMIT 50) k)
                    END);
    END IF;
    INSERT INTO dbguard.manual_review_queue AS q (call_id, reason, priority, context)
    VALUES (p_call_id, p_reason, dbguard.review_priority(p_reason), v_context)
    ON CONFLICT (call_id, reason) WHERE status = 'pending'
    DO UPDATE SET occurrences = q.occurrences + 1,
                  last_occurred_at = pg_catalog.now(), updated_at = pg_catalog.now()
    RETURNING q.id INTO v_id;
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION dbguard.enqueue_review(bigint, text, jsonb) FROM PUBLIC;
