-- Installs what dbguard.compiled_rules() says, in the caller's transaction,
-- drops (or puts back) the triggers of the rules that have triggers of their own
-- by their mode (dbguard.apply_rule_triggers) and installs their functions as
-- rendered for that mode (dbguard.rule_functions), and records each compiled rule's function, fingerprint and triggers in
-- dbguard.installed_rules (drift compares against them). Runs as its owner:
-- replacing a trigger function and a table's trigger needs the owner's rights;
-- only the owner can execute it, and it is run by the trigger on
-- dbguard.rule_settings (which the application role cannot write) and by
-- dbguard migrate. One recompile at a time (an advisory lock held to commit),
-- from the settings as a READ COMMITTED statement sees them.
CREATE OR REPLACE FUNCTION dbguard.compile_rules()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    v_statement pg_catalog.text;
    v_stale record;
    -- What compiled_rules() produced, kept for the steps after the loop: it
    -- renders every function, and running it again would cost as much again.
    v_tables pg_catalog.regclass[] := '{}';
    v_timings pg_catalog.text[] := '{}';
    v_functions pg_catalog.text[] := '{}';
BEGIN
    PERFORM dbguard.lock_generated_functions('dbguard.compile_rules', 'dbguard.rule_settings',
                                             'the compiled trigger functions');
    FOR g IN SELECT * FROM dbguard.compiled_rules() LOOP
        v_tables := v_tables || g.table_name;
        v_timings := v_timings || g.timing;
        v_functions := v_functions || g.function_name;
        -- A trigger of the group's function under another name (the group's
        -- lowest order changed) would run the rules twice.
        FOR v_stale IN
            SELECT t.tgname FROM pg_catalog.pg_trigger t
             WHERE t.tgrelid = g.table_name AND NOT t.tgisinternal AND t.tgname <> g.trigger_name
               AND t.tgfoid = pg_catalog.to_regprocedure(g.function_name)
        LOOP
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_stale.tgname, g.table_name);
        END LOOP;
        FOREACH v_statement IN ARRAY g.statements LOOP
            EXECUTE v_statement;
        END LOOP;
        -- The trigger is left alone when it is there as compiled (its comment
        -- holds the checksum of its statement): its shape does not depend on
        -- the modes, and replacing it would lock the table to commit.
        CONTINUE WHEN g.trigger_statement IS NULL OR EXISTS (
            SELECT 1 FROM pg_catalog.pg_trigger t
             WHERE t.tgrelid = g.table_name AND t.tgname = g.trigger_name
               AND t.tgfoid = pg_catalog.to_regprocedure(g.function_name)
               AND pg_catalog.obj_description(t.oid, 'pg_trigger') = 'dbguard compiled ' || pg_catalog.md5(g.trigger_statement));
        EXECUTE g.trigger_statement;
        EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON %s IS %L', g.trigger_name, g.table_name,
                                  'dbguard compiled ' || pg_catalog.md5(g.trigger_statement));
    END LOOP;
    -- Compiled functions no group produces any more (a rule went back to a
    -- trigger of its own, or its table lost every fragment) go with their triggers.
    FOR v_stale IN
        SELECT p.oid::pg_catalog.regprocedure AS fn
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'dbguard'::pg_catalog.regnamespace
           AND p.proname ~ '^tg_.+__(before|after)_row$'
           AND p.oid::pg_catalog.regprocedure::pg_catalog.text <> ALL (v_functions)
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s CASCADE', v_stale.fn);
    END LOOP;
    -- The rules with triggers of their own: none while off; otherwise their
    -- functions as rendered for the mode (dbguard.rule_functions), made
    -- SECURITY DEFINER or not and pinned again (CREATE OR REPLACE resets both),
    -- and the fingerprint drift compares against taken of what now runs.
    FOR v_stale IN
        SELECT r.rule, r.function_name, dbguard.compiled_mode(r.rule) AS mode FROM dbguard.installed_rules r
         WHERE NOT EXISTS (SELECT 1 FROM dbguard.rule_fragments f WHERE f.rule = r.rule)
         ORDER BY r.rule
    LOOP
        PERFORM dbguard.apply_rule_triggers(v_stale.rule);
        CONTINUE WHEN v_stale.mode = 'off';
        FOR g IN SELECT fn.function_name, fn.definer, fn.statement FROM dbguard.rule_functions fn
                  WHERE fn.rule = v_stale.rule AND fn.mode = v_stale.mode ORDER BY fn.function_name LOOP
            EXECUTE g.statement;
            PERFORM dbguard.secure_function(pg_catalog.to_regprocedure(g.function_name), g.definer);
        END LOOP;
        UPDATE dbguard.installed_rules r
           SET definition_md5 = coalesce(dbguard.function_fingerprint(pg_catalog.to_regprocedure(r.function_name)), '')
         WHERE r.rule = v_stale.rule;
    END LOOP;
    -- function_name: the rule's first function (BEFORE before AFTER); triggers:
    -- those of every compiled function the rule has code in.
    UPDATE dbguard.installed_rules r
       SET function_name = x.function_name,
           definition_md5 = coalesce(dbguard.function_fingerprint(pg_catalog.to_regprocedure(x.function_name)), ''),
           triggers = x.triggers
      FROM (SELECT f.rule,
                   (pg_catalog.array_agg(c.function_name ORDER BY f.timing <> 'before_row', f.trigger_order,
                                        f.table_name::pg_catalog.text))[1]
                       AS function_name,
                   (SELECT pg_catalog.array_agg(DISTINCT t ORDER BY t)
                      FROM pg_catalog.unnest(pg_catalog.array_agg(c.function_name)) fn,
                           pg_catalog.unnest(dbguard.rule_triggers(pg_catalog.to_regprocedure(fn))) t) AS triggers
              FROM (SELECT DISTINCT fr.rule, fr.table_name, fr.timing, fr.trigger_order FROM dbguard.rule_fragments fr) f
              JOIN ROWS FROM (pg_catalog.unnest(v_tables), pg_catalog.unnest(v_timings), pg_catalog.unnest(v_functions))
                   AS c (table_name, timing, function_name)
                ON c.table_name = f.table_name AND c.timing = f.timing
             GROUP BY f.rule) x
     WHERE r.rule = x.rule;
END
$$;
REVOKE ALL ON FUNCTION dbguard.compile_rules() FROM PUBLIC;
