-- Assigns an appointment's staff from a calendar provider's booking response:
-- the "hosts" of the booking (or of its "data" object, as Cal.com v2 wraps it)
-- are resolved in order (the appointment's own calcom_host_id first) with
-- resolve_staff_for_host, within the appointment's company and branch; the
-- first host that resolves gives staff_id, and calcom_host_id when it was
-- empty. An appointment that already has staff keeps it (explicit values win).
-- Returns the appointment's staff_id afterwards (NULL: no host resolved).
--
-- SECURITY DEFINER (docs/security.md) like resolve_staff_for_host, which it
-- calls with the helpers only the owner may execute; it writes only what the
-- application role may write itself (appointments.staff_id, calcom_host_id).
CREATE OR REPLACE FUNCTION dbguard.assign_staff_from_booking(p_appointment_id pg_catalog.int8, p_booking pg_catalog.jsonb)
RETURNS pg_catalog.uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_hint constant pg_catalog.text := 'Pass the booking as the provider returns it: {"hosts": [{"id": 123, "email": ..., "name": ...}, ...]} '
                            'or {"status": "success", "data": {"hosts": [...]}}.';
    v_booking   pg_catalog.jsonb := p_booking;
    v_appt      record;
    v_host      record;
    v_first_id  integer;
    v_staff_id  pg_catalog.uuid;
BEGIN
    IF p_appointment_id IS NULL THEN
        RAISE EXCEPTION 'dbguard: assign_staff_from_booking needs an appointment id' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.jsonb_typeof(v_booking) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'dbguard: booking must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(v_booking), 'SQL NULL')
            USING ERRCODE = '22023', HINT = c_hint;
    END IF;
    IF NOT v_booking ? 'hosts' AND pg_catalog.jsonb_typeof(v_booking -> 'data') = 'object' THEN
        v_booking := v_booking -> 'data';
    END IF;
    IF pg_catalog.jsonb_typeof(v_booking -> 'hosts') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'dbguard: booking "hosts" must be an array, got %',
                        coalesce(pg_catalog.jsonb_typeof(v_booking -> 'hosts'), 'no "hosts" key')
            USING ERRCODE = '22023', HINT = c_hint;
    END IF;

    SELECT a.id, a.company_id, a.branch_id, a.staff_id, a.calcom_host_id INTO v_appt
      FROM public.appointments a WHERE a.id = p_appointment_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dbguard: appointment % not found', p_appointment_id
            USING ERRCODE = 'P0002', HINT = 'Create the appointment first, then assign its staff from the booking.';
    END IF;
    IF v_appt.staff_id IS NOT NULL THEN
        RETURN v_appt.staff_id;
    END IF;
    IF v_appt.company_id IS NULL THEN
        RAISE EXCEPTION 'dbguard: public.appointments row %: company_id is NULL; hosts are matched to staff of the appointment''s company only',
                        p_appointment_id
            USING ERRCODE = '22023', HINT = 'Set the appointment''s company_id, then assign its staff.';
    END IF;

    -- Every host is parsed (and a malformed one refused) before anything is written.
    FOR v_host IN
        SELECT t.host, t.host_id
          FROM (SELECT h.value AS host, (dbguard.calcom_host_fields(h.value)).host_id AS host_id, h.n
                  FROM pg_catalog.jsonb_array_elements(v_booking -> 'hosts') WITH ORDINALITY AS h(value, n)) t
         ORDER BY t.host_id IS NOT DISTINCT FROM v_appt.calcom_host_id DESC, t.n
    LOOP
        v_first_id := coalesce(v_first_id, v_host.host_id);
        v_staff_id := dbguard.resolve_staff_for_host(v_appt.company_id, v_appt.branch_id, v_host.host);
        IF v_staff_id IS NOT NULL THEN
            UPDATE public.appointments a
               SET staff_id = v_staff_id, calcom_host_id = coalesce(a.calcom_host_id, v_host.host_id)
             WHERE a.id = p_appointment_id;
            -- Rules may have changed what was written (staff_tenant_isolation).
            RETURN (SELECT a.staff_id FROM public.appointments a WHERE a.id = p_appointment_id);
        END IF;
    END LOOP;

    IF v_appt.calcom_host_id IS NULL AND v_first_id IS NOT NULL THEN
        UPDATE public.appointments a SET calcom_host_id = v_first_id WHERE a.id = p_appointment_id;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.assign_staff_from_booking(bigint, jsonb) FROM PUBLIC;
