-- Whether a value belongs to a vocabulary (NULL always does: "not set").
-- v2: PL/pgSQL, so the lookup's plan is kept for the session (see rule_mode v2).
CREATE OR REPLACE FUNCTION dbguard.in_vocabulary(p_vocabulary text, p_value text)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
BEGIN
    RETURN p_value IS NULL OR EXISTS (
        SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary AND v.code = p_value);
END
$$;
