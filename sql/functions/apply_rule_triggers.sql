-- The mode of a rule with triggers of its own (a statement or constraint
-- trigger, or a rule not compiled), compiled in as far as a trigger goes: while
-- the rule is off its triggers are dropped, so that a write pays nothing for it;
-- switched on, the triggers dbguard installed (dbguard.installed_rules.
-- trigger_definitions) are created again. Called by dbguard.compile_rules() on
-- every change of dbguard.rule_settings and by dbguard.register_rule(). Dropping
-- or creating a trigger locks its table until the transaction ends: switching
-- such a rule off or on waits for the table's writers and holds them up to commit.
CREATE OR REPLACE FUNCTION dbguard.apply_rule_triggers(p_rule text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_off boolean := dbguard.compiled_mode(p_rule) = 'off';
    v_definition pg_catalog.text;
    v_table pg_catalog.regclass;
    v_name pg_catalog.text;
BEGIN
    FOR v_definition IN
        SELECT d FROM dbguard.installed_rules r, pg_catalog.unnest(r.trigger_definitions) d WHERE r.rule = p_rule
    LOOP
        -- pg_get_triggerdef: CREATE [CONSTRAINT] TRIGGER <name> <timing> <events> ON <schema.table> ...
        v_name := pg_catalog.substring(v_definition, '^CREATE (?:CONSTRAINT )?TRIGGER (\S+) ');
        v_table := pg_catalog.to_regclass(pg_catalog.substring(v_definition, ' ON (\S+) '));
        CONTINUE WHEN v_name IS NULL OR v_table IS NULL;
        IF NOT v_off THEN
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = v_table AND t.tgname = v_name) THEN
                EXECUTE v_definition;
            END IF;
        ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = v_table AND t.tgname = v_name) THEN
            EXECUTE pg_catalog.format('DROP TRIGGER %s ON %s', v_name, v_table);
        END IF;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION dbguard.apply_rule_triggers(text) FROM PUBLIC;
