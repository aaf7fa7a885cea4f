-- Checks, right after an application created an appointment for a call, that
-- the booking really landed: the appointment exists, belongs to the call,
-- carries the provider booking id, and is not an older row picked up by
-- mistake. Returns the first failed check (success false) or success true
-- with reason NULL. Reads only; the caller decides what to do on failure,
-- usually dbguard.rollback_booking_flags. See docs/rules/booking_confirmed_requires_appointment.md.
CREATE OR REPLACE FUNCTION dbguard.validate_appointment_creation(
    p_call_id        bigint,
    p_appointment_id bigint,
    p_booking_id     text DEFAULT NULL)
RETURNS TABLE (success boolean, reason text, details jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    v_appointment public.appointments;
    v_call public.calls;
    v_booking_id text;
    v_keys jsonb;
    v_details jsonb := pg_catalog.jsonb_build_object('call_id', p_call_id, 'appointment_id', p_appointment_id);
BEGIN
    SELECT a.* INTO v_appointment FROM public.appointments a WHERE a.id = p_appointment_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT false, 'appointment_not_found', v_details;
        RETURN;
    END IF;

    SELECT c.* INTO v_call FROM public.calls c WHERE c.id = p_call_id;
    IF v_appointment.call_id IS DISTINCT FROM p_call_id THEN
        RETURN QUERY SELECT false, 'appointment_not_linked',
            v_details || pg_catalog.jsonb_build_object('appointment_call_id', v_appointment.call_id,
                                                       'call_exists', v_call.id IS NOT NULL);
        RETURN;
    END IF;

    -- The booking id to compare: the one given, else the one the call recorded.
    v_booking_id := coalesce(p_booking_id, v_call.booking_id);
    v_keys := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'calcom_v2_booking_id', v_appointment.calcom_v2_booking_id, 'external_id', v_appointment.external_id,
        'ghl_appointment_id', v_appointment.ghl_appointment_id, 'calendly_invitee_uri', v_appointment.calendly_invitee_uri));
    IF v_booking_id IS NOT NULL AND v_booking_id NOT IN (
           SELECT k.value FROM pg_catalog.jsonb_each_text(v_keys) k) THEN
        RETURN QUERY SELECT false, 'booking_id_mismatch',
            v_details || pg_catalog.jsonb_build_object('booking_id', v_booking_id, 'appointment_keys', v_keys);
        RETURN;
    END IF;

    -- Stale: the appointment already existed well before the call (so this
    -- call did not create it: an old row matched by mistake, or a replayed
    -- booking), or it starts before it was booked (a past slot). The hour of
    -- grace covers applications that insert the call row when the call ends.
    IF v_appointment.created_at < v_call.created_at - interval '1 hour'
       OR v_appointment.starts_at < v_appointment.created_at THEN
        RETURN QUERY SELECT false, 'stale_timestamps',
            v_details || pg_catalog.jsonb_build_object(
                'appointment_created_at', v_appointment.created_at, 'call_created_at', v_call.created_at,
                'starts_at', v_appointment.starts_at,
                'created_before_call', v_appointment.created_at < v_call.created_at - interval '1 hour',
                'starts_before_booked', v_appointment.starts_at < v_appointment.created_at);
        RETURN;
    END IF;

    RETURN QUERY SELECT true, NULL::text, v_details || pg_catalog.jsonb_build_object('booking_id', v_booking_id);
END
$$;
