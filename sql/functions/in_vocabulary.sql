-- Whether a value belongs to a vocabulary (NULL always does: "not set"): a
-- look-up in dbguard.vocabularies, so a code a DBA adds counts from the
-- statement after the one that added it, in every session.
CREATE OR REPLACE FUNCTION dbguard.in_vocabulary(p_vocabulary text, p_value text)
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_value IS NULL
           OR EXISTS (SELECT 1 FROM dbguard.vocabularies v
                       WHERE v.vocabulary OPERATOR(pg_catalog.=) p_vocabulary
                         AND v.code OPERATOR(pg_catalog.=) p_value)
$$;
REVOKE ALL ON FUNCTION dbguard.in_vocabulary(text, text) FROM PUBLIC;
