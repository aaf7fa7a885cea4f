-- Whether an appointment exists for the call: outcome_flag_sync keeps a call
-- that has one booked when another outcome is written.
-- PL/pgSQL, not SQL: its query plan is kept for the session.
CREATE OR REPLACE FUNCTION dbguard.call_has_appointment(p_call_id bigint)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = p_call_id);
END
$$;
REVOKE ALL ON FUNCTION dbguard.call_has_appointment(bigint) FROM PUBLIC;
