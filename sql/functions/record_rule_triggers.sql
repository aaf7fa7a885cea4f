-- Records the CREATE TRIGGER statements of the triggers a rule's source
-- created (p_triggers: schema.table.trigger), as installed, then applies the
-- rule's mode to them (dbguard.apply_rule_triggers): a rule installed while it
-- is off keeps no trigger. Called by dbguard migrate after register_rule.
CREATE OR REPLACE FUNCTION dbguard.record_rule_triggers(p_rule text, p_triggers text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE dbguard.installed_rules r
       SET trigger_definitions = ARRAY(
               SELECT pg_catalog.pg_get_triggerdef(t.oid)
                 FROM pg_catalog.unnest(p_triggers) x (name)
                 JOIN pg_catalog.pg_trigger t
                   ON t.tgrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', pg_catalog.split_part(x.name, '.', 1),
                                                                          pg_catalog.split_part(x.name, '.', 2)))
                  AND t.tgname = pg_catalog.split_part(x.name, '.', 3)
                ORDER BY x.name)
     WHERE r.rule = p_rule;
    PERFORM dbguard.apply_rule_triggers(p_rule);
END
$$;
REVOKE ALL ON FUNCTION dbguard.record_rule_triggers(text, text[]) FROM PUBLIC;
