-- Takes back a call's claim of a booking that did not happen: appointment_made
-- and booking_confirmed false, session_outcome and appointment_link_status
-- 'creation_failed'; records a critical alert and a manual review entry
-- (p_reason is the review reason, which sets its priority). Returns the
-- review entry id. Called by booking_confirmed_requires_appointment in
-- correct mode, and by applications whose own validation failed.
-- Refusals use SQLSTATE 23Q01 (class 23, docs/errors.md).
-- SECURITY DEFINER: it writes the alert and the review entry, which the
-- application role cannot, through helpers only the owner may execute.
CREATE OR REPLACE FUNCTION dbguard.rollback_booking_flags(
    p_call_id bigint,
    p_reason  text DEFAULT 'appointment_validation_failed',
    p_rule    text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_call public.calls;
    v_appointments bigint[];
    v_context jsonb;
    v_alert_type text;
BEGIN
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'dbguard: rollback_booking_flags needs a reason'
            USING ERRCODE = '23Q01', HINT = 'e.g. appointment_validation_failed, calcom_booking_failed';
    END IF;
    SELECT c.* INTO v_call FROM public.calls c WHERE c.id = p_call_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dbguard: rollback_booking_flags: no call with id %', coalesce(p_call_id::text, 'NULL')
            USING ERRCODE = '23Q01', HINT = 'Pass the id of an existing row of public.calls.';
    END IF;
    v_appointments := ARRAY(SELECT a.id FROM public.appointments a WHERE a.call_id = p_call_id ORDER BY a.id);

    UPDATE public.calls c
       SET appointment_made = false,
           booking_confirmed = false,
           session_outcome = 'creation_failed',
           appointment_link_status = 'creation_failed',
           -- A link to an appointment that does not exist is cleared too.
           appointment_id = CASE WHEN pg_catalog.cardinality(v_appointments) > 0 THEN c.appointment_id END,
           appointment_linked_at = CASE WHEN pg_catalog.cardinality(v_appointments) > 0 THEN c.appointment_linked_at END,
           updated_at = pg_catalog.now()
     WHERE c.id = p_call_id;

    v_context := pg_catalog.jsonb_build_object(
        'reason', p_reason,
        'rule', p_rule,
        'previous', pg_catalog.jsonb_build_object(
            'booking_confirmed', v_call.booking_confirmed, 'appointment_made', v_call.appointment_made,
            'session_outcome', v_call.session_outcome, 'appointment_link_status', v_call.appointment_link_status,
            'appointment_id', v_call.appointment_id, 'booking_id', v_call.booking_id),
        'appointments', pg_catalog.to_jsonb(v_appointments),
        'actor', dbguard.acting('actor'),
        'source', dbguard.acting('source'));
    v_alert_type := CASE WHEN pg_catalog.cardinality(v_appointments) > 0 THEN 'booking_flags_rolled_back'
                         WHEN v_call.booking_confirmed THEN 'confirmed_without_appointment'
                         WHEN v_call.appointment_made THEN 'made_without_appointment'
                         ELSE 'booking_flags_rolled_back' END;
    PERFORM dbguard.raise_alert(v_alert_type, 'critical', 'call', p_call_id::text,
        pg_catalog.format('call %s: booking flags rolled back to creation_failed (%s)', p_call_id, p_reason),
        v_context, 'trigger', true, p_rule);
    RETURN dbguard.enqueue_review(p_call_id, p_reason, v_context);
END
$$;
REVOKE ALL ON FUNCTION dbguard.rollback_booking_flags(bigint, text, text) FROM PUBLIC;
