-- Reads one calendar host ({"id", "email", "name", "username", "timeZone"}) of
-- a provider booking into typed fields. Malformed input gets an error that
-- says which key is wrong and what a host looks like (SQLSTATE 22023), never
-- a bare cast error: the JSON comes from an outside system. The DETAIL names
-- the keys the host has, not its values: no e-mail addresses in server logs.
CREATE OR REPLACE FUNCTION dbguard.calcom_host_fields(
    p_host         jsonb,
    OUT host_id    integer,
    OUT email      text,
    OUT name       text,
    OUT username   text,
    OUT timezone   text)
LANGUAGE plpgsql
IMMUTABLE
SET search_path = ''
AS $$
DECLARE
    c_hint constant text := 'A host looks like {"id": 123, "email": "anna@example.com", "name": "Anna Meier", '
                            '"username": "anna", "timeZone": "Europe/Berlin"}; only "id" is required.';
    v_key  text;
    v_type text;
    v_id   numeric;
    v_text text;
    v_keys text;
BEGIN
    IF pg_catalog.jsonb_typeof(p_host) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'dbguard: a calendar host must be a JSON object, got %',
                        coalesce(pg_catalog.jsonb_typeof(p_host), 'SQL NULL')
            USING ERRCODE = '22023', HINT = c_hint;
    END IF;

    v_keys := 'host keys: ' || coalesce((SELECT pg_catalog.string_agg(k, ', ' ORDER BY k)
                                           FROM pg_catalog.jsonb_object_keys(p_host) AS k), '(none)');
    v_type := pg_catalog.jsonb_typeof(p_host -> 'id');
    IF v_type = 'number' THEN
        v_id := (p_host ->> 'id')::numeric;
    ELSIF v_type = 'string' AND (p_host ->> 'id') ~ '^\s*[0-9]{1,10}\s*$' THEN
        v_id := pg_catalog.btrim(p_host ->> 'id')::numeric;
    END IF;
    IF v_id IS NULL OR v_id <> pg_catalog.trunc(v_id) OR v_id NOT BETWEEN 1 AND 2147483647 THEN
        RAISE EXCEPTION 'dbguard: calendar host "id" must be a positive integer, got %',
                        coalesce((p_host -> 'id')::text, 'no "id" key')
            USING ERRCODE = '22023', DETAIL = v_keys, HINT = c_hint;
    END IF;
    host_id := v_id::integer;

    -- Optional text keys: a string (blank = absent), null or missing; anything else is refused.
    FOREACH v_key IN ARRAY ARRAY['email', 'name', 'username', 'timeZone'] LOOP
        v_type := pg_catalog.jsonb_typeof(p_host -> v_key);
        IF v_type IS NOT NULL AND v_type NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'dbguard: calendar host "%" must be a string, got %', v_key, v_type
                USING ERRCODE = '22023', DETAIL = v_keys, HINT = c_hint;
        END IF;
        v_text := NULLIF(pg_catalog.btrim(p_host ->> v_key), '');
        CASE v_key
            WHEN 'email' THEN email := v_text;
            WHEN 'name' THEN name := v_text;
            WHEN 'username' THEN username := v_text;
            ELSE timezone := v_text;
        END CASE;
    END LOOP;
END
$$;
