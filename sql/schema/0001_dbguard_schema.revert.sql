-- Refuses (rather than cascades) if anything outside dbguard still depends on it.
DROP TABLE IF EXISTS dbguard.rule_settings;
DROP TABLE IF EXISTS dbguard.installed_rules;
DROP TABLE IF EXISTS dbguard.owned_tables;
DROP TABLE IF EXISTS dbguard.migration_checksums;
DROP SCHEMA IF EXISTS dbguard_audit;
DROP SCHEMA IF EXISTS dbguard;
