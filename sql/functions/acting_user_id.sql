-- The acting user id (dbguard.user_id), or NULL; a value that is not an
-- integer is refused rather than silently dropped from the audit trail.
CREATE OR REPLACE FUNCTION dbguard.acting_user_id()
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_raw text := dbguard.acting('user_id');
BEGIN
    IF v_raw IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_raw !~ '^\s*[0-9]{1,18}\s*$' THEN
        RAISE EXCEPTION 'dbguard: setting dbguard.user_id must be a user id (an integer), got %', pg_catalog.quote_literal(v_raw)
            USING ERRCODE = '23Q08',
                  HINT = 'SET LOCAL dbguard.user_id = ''42'' (the users.id of whoever acts), or leave it unset.';
    END IF;
    RETURN v_raw::bigint;
END
$$;
REVOKE ALL ON FUNCTION dbguard.acting_user_id() FROM PUBLIC;
