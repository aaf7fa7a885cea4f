-- Puts a call on the manual review queue, or returns the pending entry that
-- is already there for the same call and reason (merging the new context).
-- SECURITY DEFINER: application sessions queue reviews without write access
-- to the queue itself.
CREATE OR REPLACE FUNCTION dbguard.enqueue_review(p_call_id bigint, p_reason text, p_context jsonb DEFAULT '{}'::jsonb)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'dbguard: enqueue_review needs a reason'
            USING ERRCODE = 'DG001', HINT = 'e.g. appointment_validation_failed, calcom_booking_failed, service_not_found';
    END IF;
    INSERT INTO dbguard.manual_review_queue AS q (call_id, reason, priority, context)
    VALUES (p_call_id, p_reason, dbguard.review_priority(p_reason), coalesce(p_context, '{}'::jsonb))
    ON CONFLICT (call_id, reason) WHERE status = 'pending'
    DO UPDATE SET context = q.context || EXCLUDED.context, updated_at = pg_catalog.now()
    RETURNING q.id INTO v_id;
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION dbguard.enqueue_review(bigint, text, jsonb) FROM PUBLIC;
