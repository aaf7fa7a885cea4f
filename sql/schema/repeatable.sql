-- dbguard's own objects that call its functions: installed by `dbguard migrate`
-- after the functions (sql/functions/) whenever this file or any function
-- changed, before the rules (sql/triggers/). Every statement is idempotent.

-- Every installed rule with its mode and whether its function still is what
-- dbguard installed. drift: 'none', 'modified' (someone replaced the function
-- by hand, or, for a compiled rule, the function is not what the compiler
-- produces for the current modes), 'missing' (dropped), 'trigger_missing' (one
-- of the triggers it was installed with is gone) or 'trigger_disabled'. A
-- compiled group whose rules are all off has neither function nor trigger, and a
-- rule with triggers of its own has no trigger while it is off: that is the
-- rules switched off, not drift.
CREATE OR REPLACE VIEW dbguard.rule_status AS
WITH compiled AS (
    SELECT c.table_name, c.timing, c.function_name, c.function_body FROM dbguard.compiled_rules() c
)
SELECT r.rule,
       r.version,
       dbguard.compiled_mode(r.rule) AS mode,
       r.function_name,
       r.description,
       r.installed_at,
       t.triggers,
       CASE
           WHEN f.oid IS NULL AND g.compiled AND c.function_body IS NULL THEN 'none'
           WHEN f.oid IS NULL THEN 'missing'
           WHEN dbguard.function_fingerprint(f.oid::regprocedure) <> r.definition_md5 THEN 'modified'
           WHEN g.compiled AND g.stale THEN 'modified'
           -- a rule with triggers of its own has none while it is off
           WHEN NOT g.compiled AND dbguard.compiled_mode(r.rule) = 'off' AND t.triggers IS NULL THEN 'none'
           WHEN t.triggers IS NULL OR NOT (t.triggers @> coalesce(r.triggers, '{}')) THEN 'trigger_missing'
           WHEN t.disabled THEN 'trigger_disabled'
           ELSE 'none'
       END AS drift,
       ARRAY(SELECT unnest(r.triggers) EXCEPT SELECT unnest(t.triggers) ORDER BY 1) AS missing_triggers
  FROM dbguard.installed_rules r
  LEFT JOIN pg_catalog.pg_proc f
         ON f.oid = pg_catalog.to_regprocedure(r.function_name)
  LEFT JOIN compiled c ON c.function_name = r.function_name
  LEFT JOIN LATERAL (
        -- A compiled rule runs in the function of each table and timing it has a
        -- fragment for; each must be what the compiler produces for the current modes.
        SELECT pg_catalog.count(*) > 0 AS compiled,
               pg_catalog.bool_or(p.prosrc IS DISTINCT FROM x.function_body) AS stale,
               pg_catalog.array_agg(p.oid) FILTER (WHERE p.oid IS NOT NULL) AS functions
          FROM (SELECT DISTINCT fr.table_name, fr.timing FROM dbguard.rule_fragments fr WHERE fr.rule = r.rule) fr
          JOIN compiled x ON x.table_name = fr.table_name AND x.timing = fr.timing
          LEFT JOIN pg_catalog.pg_proc p ON p.oid = pg_catalog.to_regprocedure(x.function_name)
  ) g ON true
  LEFT JOIN LATERAL (
        -- rule_triggers pins search_path, so names compare equal whatever the caller's is.
        SELECT (SELECT pg_catalog.array_agg(DISTINCT tr ORDER BY tr)
                  FROM pg_catalog.unnest(CASE WHEN g.compiled THEN g.functions ELSE ARRAY[f.oid] END) fn,
                       pg_catalog.unnest(dbguard.rule_triggers(fn::regprocedure)) tr) AS triggers,
               EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg
                        WHERE tg.tgfoid = ANY (CASE WHEN g.compiled THEN g.functions ELSE ARRAY[f.oid] END)
                          AND NOT tg.tgisinternal AND tg.tgenabled = 'D') AS disabled
  ) t ON true;

-- Pinned vocabulary codes cannot be deleted, renamed or truncated away
-- (see dbguard.vocabularies.pinned).
CREATE OR REPLACE TRIGGER dbguard_pinned_codes
    BEFORE UPDATE OR DELETE ON dbguard.vocabularies
    FOR EACH ROW
    WHEN (OLD.pinned)
    EXECUTE FUNCTION dbguard.tg_vocabularies__pinned_codes();

CREATE OR REPLACE TRIGGER dbguard_pinned_codes_truncate
    BEFORE TRUNCATE ON dbguard.vocabularies
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_vocabularies__pinned_codes();

-- Every statement that writes dbguard.rule_settings recompiles the compiled
-- rules in its transaction (see compile_rules.sql and
-- tg_rule_settings__compile_rules.sql).
CREATE OR REPLACE TRIGGER dbguard_compile_rules
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbguard.rule_settings
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_rule_settings__compile_rules();

-- dbguard's privilege model (docs/security.md), applied to every function:
--  * search_path = pg_catalog, pg_temp on every function, the temporary schema
--    explicitly last: an empty search_path still searches pg_temp first for
--    types and relations, which a session can fill with its own.
--  * No function executable by PUBLIC. `dbguard roles --app-role` grants the
--    client API (contract §2) to the application role.
--  * Rule trigger functions, and the client functions that write alerts or
--    review entries (resolve_staff_for_host, assign_staff_from_booking,
--    rollback_booking_flags), run as their owner (SECURITY DEFINER): the
--    application role cannot write alerts, history, audits or the review queue
--    itself, and cannot execute the helpers that do.
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::pg_catalog.regprocedure AS fn,
               (p.oid IN (SELECT pg_catalog.to_regprocedure(r.function_name) FROM dbguard.installed_rules r)
                OR p.proname IN ('resolve_staff_for_host', 'assign_staff_from_booking', 'rollback_booking_flags'))
                   AS definer
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('dbguard', 'dbguard_audit')
    LOOP
        PERFORM dbguard.secure_function(f.fn, f.definer);
    END LOOP;
END
$$;
-- The compiled rules, for the functions above as they are now (the rules'
-- fragments are re-installed after this file when their source changed).
SELECT dbguard.compile_rules();
