-- The rule status of per-rule installation (it reads rule_fragments, dropped below).
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
        -- rule_triggers pins search_path, so names compare equal whatever the caller's is.
        SELECT dbguard.rule_triggers(f.oid::regprocedure) AS triggers,
               EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgfoid = f.oid AND NOT tg.tgisinternal AND tg.tgenabled = 'D') AS disabled
  ) t ON true;

DROP TRIGGER IF EXISTS dbguard_compile_rules ON dbguard.rule_settings;
DROP FUNCTION IF EXISTS dbguard.tg_rule_settings__compile_rules();
DROP FUNCTION IF EXISTS dbguard.compile_rules();
DROP FUNCTION IF EXISTS dbguard.compiled_rules();
DROP FUNCTION IF EXISTS dbguard.compiled_mode(text);
DROP TABLE IF EXISTS dbguard.rule_fragments;
