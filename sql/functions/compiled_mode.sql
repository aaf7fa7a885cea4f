-- A rule's mode as dbguard.rule_settings says now ('correct' without a row),
-- read by the compiler: the mode a compiled rule's code is assembled for.
CREATE OR REPLACE FUNCTION dbguard.compiled_mode(p_rule text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule OPERATOR(pg_catalog.=) p_rule), 'correct')
$$;
REVOKE ALL ON FUNCTION dbguard.compiled_mode(text) FROM PUBLIC;
