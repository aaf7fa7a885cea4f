-- Whether an appointment exists for the call: the fact that lets the
-- booking_confirmed_requires_appointment trigger skip queueing a check for the
-- write with which appointment_link_sync links the call. Only reached when the
-- transaction-local marker dbguard.linking_call names the call, so the marker
-- alone (which any session can set) never skips a check.
CREATE OR REPLACE FUNCTION dbguard.call_has_appointment(p_call_id bigint)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = p_call_id)
$$;
REVOKE ALL ON FUNCTION dbguard.call_has_appointment(bigint) FROM PUBLIC;
