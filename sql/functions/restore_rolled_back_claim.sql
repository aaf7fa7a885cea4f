-- Gives a call back the booking claim that booking_confirmed_requires_appointment
-- took back in 'correct' mode (dbguard.rollback_booking_flags), once an
-- appointment for the call exists: the usual two-phase import (calls in one
-- transaction, their appointments in a later one) then ends with every claim
-- that its appointment backs. Called by appointment_link_sync when it links a
-- call whose appointment_link_status is 'creation_failed'.
--
-- What it restores: booking_confirmed as it was before the roll-back (from the
-- pending review entry's context.previous; appointment_made, session_outcome and
-- the link are appointment_link_sync's). It resolves that review entry
-- (resolved_by 'dbguard', note naming the appointment) and the rule's open
-- roll-back alerts for the call. Nothing happens unless an appointment exists
-- for the call when it runs: the fact is checked here, not trusted from the
-- caller. Only entries the rule itself wrote (context.rule) count: a review an
-- application queued for its own reasons stays open.
-- SECURITY DEFINER: the review queue and the alerts are not writable by the
-- application role; every name is schema-qualified and the search path pinned.
-- Returns whether a claim was restored.
CREATE OR REPLACE FUNCTION dbguard.restore_rolled_back_claim(p_call_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_appointment_id pg_catalog.int8;
    v_review_id pg_catalog.int8;
    v_previous pg_catalog.jsonb;
BEGIN
    SELECT pg_catalog.max(a.id) INTO v_appointment_id FROM public.appointments a WHERE a.call_id = p_call_id;
    IF v_appointment_id IS NULL THEN
        RETURN false;
    END IF;
    SELECT q.id, q.context -> 'previous' INTO v_review_id, v_previous
      FROM dbguard.manual_review_queue q
     WHERE q.call_id = p_call_id
       AND q.status = 'pending'
       AND q.context ->> 'rule' = 'booking_confirmed_requires_appointment'
     ORDER BY q.id DESC
     LIMIT 1
       FOR UPDATE;
    IF v_review_id IS NULL THEN
        RETURN false;
    END IF;

    IF (v_previous ->> 'booking_confirmed') = 'true' THEN
        UPDATE public.calls c
           SET booking_confirmed = true,
               updated_at = pg_catalog.now()
         WHERE c.id = p_call_id AND NOT c.booking_confirmed;
    END IF;
    UPDATE dbguard.manual_review_queue q
       SET status = 'resolved',
           resolved_at = pg_catalog.now(),
           resolved_by = 'dbguard',
           resolution_note = pg_catalog.format('appointment %s arrived for the call; claim restored', v_appointment_id),
           updated_at = pg_catalog.now()
     WHERE q.id = v_review_id;
    UPDATE dbguard.data_consistency_alerts al
       SET resolved_at = pg_catalog.now(),
           resolved_by = 'dbguard'
     WHERE al.entity_type = 'call'
       AND al.entity_id = p_call_id::pg_catalog.text
       AND al.rule = 'booking_confirmed_requires_appointment'
       AND al.alert_type IN ('confirmed_without_appointment', 'made_without_appointment', 'booking_flags_rolled_back')
       AND al.resolved_at IS NULL;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION dbguard.restore_rolled_back_claim(bigint) FROM PUBLIC;
