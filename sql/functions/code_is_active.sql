-- The is_active flag of a code in dbguard.vocabularies: true, false, or NULL when
-- the code is not there or its flag is not set.
CREATE OR REPLACE FUNCTION dbguard.code_is_active(p_vocabulary text, p_value text)
RETURNS boolean
LANGUAGE sql
STABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT v.is_active FROM dbguard.vocabularies v
     WHERE v.vocabulary OPERATOR(pg_catalog.=) p_vocabulary
       AND v.code OPERATOR(pg_catalog.=) p_value
$$;
REVOKE ALL ON FUNCTION dbguard.code_is_active(text, text) FROM PUBLIC;
