-- Whether a value belongs to a vocabulary (NULL always does: "not set").
CREATE OR REPLACE FUNCTION dbguard.in_vocabulary(p_vocabulary text, p_value text)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT p_value IS NULL OR EXISTS (
        SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary AND v.code = p_value)
$$;
