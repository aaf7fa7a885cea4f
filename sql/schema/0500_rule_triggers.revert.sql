DROP VIEW IF EXISTS dbguard.rule_status;
CREATE OR REPLACE VIEW dbguard.rule_status AS
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
           WHEN t.triggers IS NULL THEN 'trigger_missing'
           WHEN t.disabled THEN 'trigger_disabled'
           ELSE 'none'
       END AS drift
  FROM dbguard.installed_rules r
  LEFT JOIN pg_catalog.pg_proc f
         ON f.oid = pg_catalog.to_regprocedure(r.function_name)
  LEFT JOIN LATERAL (
        SELECT pg_catalog.array_agg(tg.tgrelid::regclass::text || '.' || tg.tgname ORDER BY tg.tgname) AS triggers,
               bool_or(tg.tgenabled = 'D') AS disabled
          FROM pg_catalog.pg_trigger tg
         WHERE tg.tgfoid = f.oid AND NOT tg.tgisinternal
  ) t ON true;
ALTER TABLE dbguard.installed_rules DROP COLUMN IF EXISTS triggers;
