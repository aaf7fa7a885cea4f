-- Compiled rules: each rule's fragments, rendered once per mode by the
-- package's compiler (src/dbguard/compiler.py), from which
-- dbguard.compile_rules() assembles one trigger function per table and timing
-- for the modes in dbguard.rule_settings.
CREATE TABLE IF NOT EXISTS dbguard.rule_fragments (
    rule           text NOT NULL,
    table_name     regclass NOT NULL,
    timing         text NOT NULL CHECK (timing IN ('before_row', 'after_row')),
    mode           text NOT NULL CHECK (mode IN ('alert', 'correct', 'enforce')),
    trigger_order  integer NOT NULL CHECK (trigger_order BETWEEN 0 AND 999),
    on_insert      boolean NOT NULL,
    insert_when    text,
    update_of      text[],
    update_when    text,
    on_delete      boolean NOT NULL,
    delete_when    text,
    body           text NOT NULL,
    PRIMARY KEY (rule, table_name, timing, mode)
);
REVOKE ALL ON dbguard.rule_fragments FROM PUBLIC;

-- A compiled rule that is off has no code and, when every rule of its table
-- and timing is off, no function: that is the rule switched off, not drift.
DROP VIEW IF EXISTS dbguard.rule_status;
CREATE VIEW dbguard.rule_status AS
SELECT r.rule,
       r.version,
       dbguard.rule_mode(r.rule) AS mode,
       r.function_name,
       r.description,
       r.installed_at,
       t.triggers,
       CASE
           WHEN f.oid IS NULL AND c.compiled AND dbguard.rule_mode(r.rule) = 'off' THEN 'none'
           WHEN f.oid IS NULL THEN 'missing'
           WHEN dbguard.function_fingerprint(f.oid::regprocedure) <> r.definition_md5 THEN 'modified'
           WHEN t.triggers IS NULL OR NOT (t.triggers @> coalesce(r.triggers, '{}')) THEN 'trigger_missing'
           WHEN t.disabled THEN 'trigger_disabled'
           ELSE 'none'
       END AS drift,
       ARRAY(SELECT unnest(r.triggers) EXCEPT SELECT unnest(t.triggers) ORDER BY 1) AS missing_triggers
  FROM dbguard.installed_rules r
  LEFT JOIN pg_catalog.pg_proc f
         ON f.oid = pg_catalog.to_regprocedure(r.function_name)
  LEFT JOIN LATERAL (
        SELECT EXISTS (SELECT 1 FROM dbguard.rule_fragments g WHERE g.rule = r.rule) AS compiled
  ) c ON true
  LEFT JOIN LATERAL (
        -- rule_triggers pins search_path, so names compare equal whatever the caller's is.
        SELECT dbguard.rule_triggers(f.oid::regprocedure) AS triggers,
               EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgfoid = f.oid AND NOT tg.tgisinternal AND tg.tgenabled = 'D') AS disabled
  ) t ON true;
