-- The rendered views go with the table that tracks them (they are re-created
-- by the next `dbguard migrate`). Names come from the table and are quoted.
DO $$
DECLARE
    v_name text;
BEGIN
    FOR v_name IN SELECT view_name FROM dbguard.installed_views LOOP
        EXECUTE pg_catalog.format('DROP VIEW IF EXISTS dbguard_audit.%I', v_name);
    END LOOP;
END
$$;
DROP TABLE IF EXISTS dbguard.installed_views;
