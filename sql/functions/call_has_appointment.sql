-- Whether an appointment exists for the call: outcome_flag_sync keeps a call
-- that has one booked when another outcome is written.
CREATE OR REPLACE FUNCTION dbguard.call_has_appointment(p_call_id bigint)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = p_call_id)
$$;
REVOKE ALL ON FUNCTION dbguard.call_has_appointment(bigint) FROM PUBLIC;
