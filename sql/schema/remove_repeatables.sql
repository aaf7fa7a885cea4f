-- Removes what `dbguard migrate` installs after the versioned migrations: the
-- rules' triggers (on any table), every function in schema dbguard and the
-- rule_status view. Run by the rollback of the baseline, before its tables go;
-- the audit views are dropped by dbguard rollback itself. Nothing here holds rows.
DROP VIEW IF EXISTS dbguard.rule_status;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT t.tgname, t.tgrelid::pg_catalog.regclass AS tbl
          FROM pg_catalog.pg_trigger t
          JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
         WHERE p.pronamespace = 'dbguard'::pg_catalog.regnamespace AND NOT t.tgisinternal
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', r.tgname, r.tbl);
    END LOOP;
    FOR r IN
        SELECT p.oid::pg_catalog.regprocedure AS fn
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'dbguard'::pg_catalog.regnamespace
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s', r.fn);
    END LOOP;
END
$$;
DELETE FROM dbguard.installed_objects;
DELETE FROM dbguard.installed_rules;
DELETE FROM dbguard.rule_fragments;
DELETE FROM dbguard.rule_functions;
