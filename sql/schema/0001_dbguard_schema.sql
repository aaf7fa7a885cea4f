-- dbguard's own schemas and bookkeeping tables. Domain tables stay in public.
CREATE SCHEMA IF NOT EXISTS dbguard;
CREATE SCHEMA IF NOT EXISTS dbguard_audit;

COMMENT ON SCHEMA dbguard IS 'dbguard: rule functions, rule settings, alerts and lookup tables';
COMMENT ON SCHEMA dbguard_audit IS 'dbguard: read-only audit views for analysts';

-- Content checksum of every applied migration (yoyo itself only hashes the id),
-- so a migration edited after it ran is reported by `dbguard status`.
CREATE TABLE IF NOT EXISTS dbguard.migration_checksums (
    migration_id text PRIMARY KEY,
    checksum     text NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now()
);

-- Domain tables dbguard created, as opposed to tables it found and extended.
-- Rollback only ever drops the former, and only when they are empty.
CREATE TABLE IF NOT EXISTS dbguard.owned_tables (
    table_name text PRIMARY KEY,
    migration  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per installed rule: which version, which function, and the
-- fingerprint of the function as installed, to detect hand edits (drift).
CREATE TABLE IF NOT EXISTS dbguard.installed_rules (
    rule            text PRIMARY KEY,
    version         integer NOT NULL CHECK (version > 0),
    function_name   text NOT NULL,
    definition_md5  text NOT NULL,
    source_sha256   text NOT NULL,
    description     text,
    installed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dbguard.rule_settings (
    rule        text PRIMARY KEY,
    mode        text NOT NULL DEFAULT 'correct'
                CHECK (mode IN ('off', 'alert', 'correct', 'enforce')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT current_user
);
