-- Applies dbguard's privilege model to one function (docs/security.md):
-- search_path pinned to pg_catalog first and the session's temporary schema
-- explicitly last (an empty search_path still searches pg_temp first for types
-- and relations), EXECUTE taken from PUBLIC, and, when p_definer, SECURITY
-- DEFINER, so that it runs as its owner. Rule trigger functions are definers:
-- they write alerts, history, audits and review entries the application role
-- cannot write, and call helpers only the owner may execute.
-- register_rule calls this for every rule version it installs, so a rule file
-- cannot leave its function open to PUBLIC or running as the writer.
CREATE OR REPLACE FUNCTION dbguard.secure_function(p_function pg_catalog.regprocedure,
                                                   p_definer pg_catalog.bool DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- regprocedure's text is the quoted, schema-qualified signature from the catalog.
    EXECUTE pg_catalog.format('ALTER FUNCTION %s %s SET search_path = pg_catalog, pg_temp',
                              p_function, CASE WHEN p_definer THEN 'SECURITY DEFINER' ELSE '' END);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', p_function);
END
$$;
REVOKE ALL ON FUNCTION dbguard.secure_function(pg_catalog.regprocedure, pg_catalog.bool) FROM PUBLIC;
