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
    -- the triggers that used the function when it was installed (drift: one dropped)
    triggers        text[],
    -- the CREATE TRIGGER statements of every trigger the rule's source creates:
    -- a rule with triggers of its own has none while it is off
    -- (dbguard.apply_rule_triggers)
    trigger_definitions text[],
    installed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dbguard.rule_settings (
    rule        text PRIMARY KEY,
    mode        text NOT NULL DEFAULT 'correct'
                CHECK (mode IN ('off', 'alert', 'correct', 'enforce')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT current_user
);

-- Compiled rules: each rule's code for one table and timing, rendered by the
-- package's compiler (src/dbguard/compiler.py) once per mode it has code for.
-- dbguard.compile_rules() assembles from the rows of each rule's current mode
-- one trigger function per table and timing; a rule in 'off' has no row there.
CREATE TABLE IF NOT EXISTS dbguard.rule_fragments (
    rule           text NOT NULL,
    table_name     regclass NOT NULL,
    timing         text NOT NULL CHECK (timing IN ('before_row', 'after_row')),
    mode           text NOT NULL CHECK (mode IN ('alert', 'correct', 'enforce')),
    trigger_order  integer NOT NULL CHECK (trigger_order BETWEEN 0 AND 999),
    on_insert      boolean NOT NULL,
    insert_when    text,
    on_update      boolean NOT NULL,
    update_of      text[],
    update_when    text,
    on_delete      boolean NOT NULL,
    delete_when    text,
    body           text NOT NULL,
    PRIMARY KEY (rule, table_name, timing, mode)
);

-- A rule with triggers of its own: each function of its source that depends on
-- the mode, rendered once per mode; dbguard.compile_rules() installs the
-- renderings of the rule's current mode (a rule in off has no triggers).
CREATE TABLE IF NOT EXISTS dbguard.rule_functions (
    rule           text NOT NULL,
    mode           text NOT NULL CHECK (mode IN ('alert', 'correct', 'enforce')),
    function_name  text NOT NULL,
    definer        boolean NOT NULL,
    statement      text NOT NULL,
    PRIMARY KEY (rule, mode, function_name)
);

-- Which dbguard_audit views are installed, and the sha256 of the rendered
-- CREATE VIEW text: `dbguard migrate` re-creates a view only when it changed.
-- definition_md5 fingerprints the view's stored query tree as installed (free of
-- the reader's search_path), so that a view replaced by hand is reported.
CREATE TABLE IF NOT EXISTS dbguard.installed_views (
    view_name       text PRIMARY KEY,
    sha256          text NOT NULL,
    definition_md5  text,
    installed_at    timestamptz NOT NULL DEFAULT now()
);

-- The other repeatable objects dbguard installs (functions, and the bookkeeping
-- objects that call them, kind 'schema'): the sha256 of the shipped source, and
-- the fingerprint of what was installed, to tell a hand edit (drift) from a
-- newer shipped source. `dbguard migrate` re-installs an object whose shipped
-- checksum differs from the one recorded here.
CREATE TABLE IF NOT EXISTS dbguard.installed_objects (
    kind          text NOT NULL,
    name          text NOT NULL,
    checksum      text NOT NULL,
    fingerprint   text,
    installed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, name)
);
