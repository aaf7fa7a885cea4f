-- Refuses (rather than cascades) if anything outside dbguard still depends on it.
-- Schema dbguard stays: it holds the migration log (yoyo's tables).
DROP TABLE IF EXISTS dbguard.installed_objects;
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
DROP TABLE IF EXISTS dbguard.rule_functions;
DROP TABLE IF EXISTS dbguard.rule_fragments;
DROP TABLE IF EXISTS dbguard.rule_settings;
DROP TABLE IF EXISTS dbguard.installed_rules;
DROP TABLE IF EXISTS dbguard.owned_tables;
DROP TABLE IF EXISTS dbguard.migration_checksums;
DROP SCHEMA IF EXISTS dbguard_audit;
