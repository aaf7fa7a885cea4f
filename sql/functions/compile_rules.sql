-- A rule's mode as dbguard.rule_settings says now ('correct' without a row,
-- as dbguard.rule_mode() answers), read by the compiler.
CREATE OR REPLACE FUNCTION dbguard.compiled_mode(p_rule text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule = p_rule), 'correct')
$$;
REVOKE ALL ON FUNCTION dbguard.compiled_mode(text) FROM PUBLIC;

-- The compiled trigger functions and triggers for the modes in
-- dbguard.rule_settings: one row per table and timing that has fragments, with
-- the statements that bring it to that state. A group whose rules are all off
-- gets no function and no trigger: its statements drop them.
--
-- Each fragment is a labeled block inside one IF: the test is the fragment's
-- events, for an update whether a column it watches changed, and its
-- fast-path condition. A fragment's RETURN NEW was made EXIT <rule> by the
-- compiler, so NEW flows from one rule to the next as in a chain of triggers;
-- RETURN NULL in a BEFORE fragment skips the row, as it would in a trigger.
-- The trigger's UPDATE OF lists the union of the fragments' columns: an update
-- that writes none of them calls nothing. The trigger is the same whatever
-- the modes (unless all are off): a mode change replaces the function only,
-- which blocks no writer of the table, where replacing a trigger would lock
-- it until the change commits.
CREATE OR REPLACE FUNCTION dbguard.compiled_rules()
RETURNS TABLE (table_name regclass, timing text, function_name text, trigger_names text[],
               function_body text, statements text[], trigger_statements text[])
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    v_function text;
    v_trigger text;
    v_body text;
    v_gates text;
    v_events text[];
    v_columns text[];
BEGIN
    FOR g IN
        SELECT f.table_name AS tbl, f.timing AS tmg, c.relname::text AS relname,
               min(f.trigger_order) AS trigger_order
          FROM dbguard.rule_fragments f
          JOIN pg_catalog.pg_class c ON c.oid = f.table_name
         GROUP BY f.table_name, f.timing, c.relname
         ORDER BY c.relname, f.timing
    LOOP
        v_function := pg_catalog.format('dbguard.%I', 'tg_' || g.relname || '__' || g.tmg);
        v_trigger := pg_catalog.format('dbguard_%s_%s', pg_catalog.lpad(g.trigger_order::text, 3, '0'), g.tmg);
        table_name := g.tbl;
        timing := g.tmg;
        function_name := v_function || '()';
        trigger_names := ARRAY[v_trigger];

        SELECT pg_catalog.string_agg(
                   pg_catalog.format(E'    IF %s THEN\n    <<%s>>\n%s %s;\n    END IF;\n',
                       pg_catalog.array_to_string(ARRAY[
                           CASE WHEN f.on_insert THEN
                               '(TG_OP = ''INSERT''' || coalesce(' AND (' || f.insert_when || ')', '') || ')' END,
                           CASE WHEN f.update_of IS NOT NULL THEN
                               '(TG_OP = ''UPDATE'' AND '
                               || CASE WHEN pg_catalog.cardinality(f.update_of) = 1
                                       THEN pg_catalog.format('NEW.%1$I IS DISTINCT FROM OLD.%1$I', f.update_of[1])
                                       ELSE pg_catalog.format('ROW(%s) IS DISTINCT FROM ROW(%s)',
                                                (SELECT pg_catalog.string_agg(pg_catalog.format('NEW.%I', u), ', ' ORDER BY o)
                                                   FROM pg_catalog.unnest(f.update_of) WITH ORDINALITY x(u, o)),
                                                (SELECT pg_catalog.string_agg(pg_catalog.format('OLD.%I', u), ', ' ORDER BY o)
                                                   FROM pg_catalog.unnest(f.update_of) WITH ORDINALITY x(u, o))) END
                               || coalesce(' AND (' || f.update_when || ')', '') || ')' END,
                           CASE WHEN f.on_delete THEN
                               '(TG_OP = ''DELETE''' || coalesce(' AND (' || f.delete_when || ')', '') || ')' END],
                           E'\n       OR '),
                       f.rule, pg_catalog.rtrim(f.body, E' \n'), f.rule),
                   E'\n' ORDER BY f.trigger_order, f.rule),
               (SELECT pg_catalog.array_agg(DISTINCT e.event)
                  FROM dbguard.rule_fragments f3
                 CROSS JOIN LATERAL (VALUES (CASE WHEN f3.on_insert THEN 'INSERT' END),
                                            (CASE WHEN f3.update_of IS NOT NULL THEN 'UPDATE' END),
                                            (CASE WHEN f3.on_delete THEN 'DELETE' END)) e(event)
                 WHERE f3.table_name = g.tbl AND f3.timing = g.tmg AND e.event IS NOT NULL),
               (SELECT pg_catalog.array_agg(DISTINCT u ORDER BY u)
                  FROM dbguard.rule_fragments f2
                  CROSS JOIN pg_catalog.unnest(f2.update_of) u
                 WHERE f2.table_name = g.tbl AND f2.timing = g.tmg)
          INTO v_gates, v_events, v_columns
          FROM dbguard.rule_fragments f
         WHERE dbguard.compiled_mode(f.rule) = f.mode AND f.table_name = g.tbl AND f.timing = g.tmg;

        IF v_gates IS NULL THEN
            -- Every rule of the group is off: no code runs, no trigger fires.
            function_body := NULL;
            statements := ARRAY(SELECT pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', n, g.tbl)
                                  FROM pg_catalog.unnest(trigger_names) n)
                          || pg_catalog.format('DROP FUNCTION IF EXISTS %s()', v_function);
            trigger_statements := '{}';
            RETURN NEXT;
            CONTINUE;
        END IF;

        v_body := pg_catalog.format(E'\n'
            || E'-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;\n'
            || E'-- change a rule''s mode (dbguard rules set-mode) or its source instead.\n'
            || E'BEGIN\n'
            || E'    IF TG_RELID <> %L::pg_catalog.regclass THEN\n'
            || E'        RAISE EXCEPTION ''dbguard: %s() is a trigger of %s only, not of %%.%%'', TG_TABLE_SCHEMA, TG_TABLE_NAME\n'
            || E'            USING ERRCODE = ''42501'',\n'
            || E'                  HINT = ''dbguard''''s trigger functions run as their owner and refuse any other table.'';\n'
            || E'    END IF;\n'
            || E'%s'
            || E'    RETURN %s;\n'
            || E'END\n',
            g.tbl::text, v_function, g.tbl::text, v_gates,
            CASE WHEN g.tmg = 'after_row' THEN 'NULL'
                 WHEN 'DELETE' = ANY (v_events) THEN 'CASE WHEN TG_OP = ''DELETE'' THEN OLD ELSE NEW END'
                 ELSE 'NEW' END);
        IF pg_catalog.strpos(v_body, '$compiled$') > 0 THEN
            RAISE EXCEPTION 'dbguard: a fragment of % on % contains $compiled$', g.tmg, g.tbl
                USING ERRCODE = '22023', HINT = 'Remove that text from the rule source and migrate again.';
        END IF;

        function_body := v_body;
        statements := ARRAY[
            pg_catalog.format(E'CREATE OR REPLACE FUNCTION %s()\nRETURNS trigger\nLANGUAGE plpgsql\nSECURITY DEFINER\n'
                              || E'SET search_path = pg_catalog, pg_temp\nAS $compiled$%s$compiled$', v_function, v_body),
            pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', v_function)];
        -- One trigger for the group, without a WHEN clause: the fragments' fast
        -- paths are tested in the function. PostgreSQL reads a WHEN clause back
        -- from its stored text and prepares it for every statement; an OR of the
        -- fast paths cost a booking more than the function call it saves
        -- (benchmarks/instructions.py).
        trigger_statements := ARRAY[pg_catalog.format(
            E'CREATE OR REPLACE TRIGGER %I\n    %s %s ON %s\n    FOR EACH ROW\n    EXECUTE FUNCTION %s()',
            v_trigger,
            CASE WHEN g.tmg = 'before_row' THEN 'BEFORE' ELSE 'AFTER' END,
            pg_catalog.array_to_string(ARRAY(
                SELECT CASE WHEN e = 'UPDATE' AND v_columns IS NOT NULL
                            THEN 'UPDATE OF ' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ')
                                                    FROM pg_catalog.unnest(v_columns) c)
                            ELSE e END
                  FROM pg_catalog.unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) e
                 WHERE e = ANY (v_events)), ' OR '),
            g.tbl,
            v_function)];
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION dbguard.compiled_rules() FROM PUBLIC;

-- Installs what dbguard.compiled_rules() says, in the caller's transaction,
-- and records each compiled rule's function, fingerprint and trigger in
-- dbguard.installed_rules (drift compares against them). Runs as its owner:
-- replacing a trigger function and a table's trigger needs the owner's rights.
CREATE OR REPLACE FUNCTION dbguard.compile_rules()
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    v_statement pg_catalog.text;
    v_name pg_catalog.text;
BEGIN
    PERFORM dbguard.lock_generated_functions('dbguard.compile_rules', 'dbguard.rule_settings',
                                             'the compiled trigger functions');
    FOR g IN SELECT * FROM dbguard.compiled_rules() LOOP
        FOREACH v_statement IN ARRAY g.statements LOOP
            EXECUTE v_statement;
        END LOOP;
        -- A trigger is left alone when it is there as compiled (its comment
        -- holds the checksum of its statement): its shape does not depend on
        -- the modes, and replacing it would lock the table to commit.
        FOREACH v_statement IN ARRAY g.trigger_statements LOOP
            v_name := pg_catalog.substring(v_statement, '^CREATE OR REPLACE TRIGGER (\w+)');
            CONTINUE WHEN EXISTS (
                SELECT 1 FROM pg_catalog.pg_trigger t
                 WHERE t.tgrelid = g.table_name AND t.tgname = v_name
                   AND t.tgfoid = pg_catalog.to_regprocedure(g.function_name)
                   AND pg_catalog.obj_description(t.oid, 'pg_trigger') = 'dbguard compiled ' || pg_catalog.md5(v_statement));
            EXECUTE v_statement;
            EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON %s IS %L', v_name, g.table_name,
                                      'dbguard compiled ' || pg_catalog.md5(v_statement));
        END LOOP;
    END LOOP;
    UPDATE dbguard.installed_rules r
       SET function_name = x.function_name,
           definition_md5 = coalesce(dbguard.function_fingerprint(pg_catalog.to_regprocedure(x.function_name)),
                                     r.definition_md5),
           triggers = CASE WHEN pg_catalog.to_regprocedure(x.function_name) IS NOT NULL
                           THEN dbguard.rule_triggers(pg_catalog.to_regprocedure(x.function_name)) END
      FROM (SELECT DISTINCT ON (f.rule) f.rule, c.function_name
              FROM dbguard.rule_fragments f
              JOIN dbguard.compiled_rules() c ON c.table_name = f.table_name AND c.timing = f.timing
             ORDER BY f.rule, f.trigger_order) x
     WHERE r.rule = x.rule;
END
$$;
REVOKE ALL ON FUNCTION dbguard.compile_rules() FROM PUBLIC;

-- Every statement that writes dbguard.rule_settings recompiles, in its own
-- transaction: set-mode and a DBA's plain UPDATE take effect together with
-- the write, and a ROLLBACK restores the functions that were.
CREATE OR REPLACE FUNCTION dbguard.tg_rule_settings__compile_rules()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM dbguard.compile_rules();
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_rule_settings__compile_rules() FROM PUBLIC;

CREATE OR REPLACE TRIGGER dbguard_compile_rules
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbguard.rule_settings
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_rule_settings__compile_rules();
