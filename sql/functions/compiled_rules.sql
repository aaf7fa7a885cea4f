-- What the rule compiler produces for the modes in dbguard.rule_settings: one
-- row per table and timing that has fragments, with the function body and the
-- statements that bring the database to that state. dbguard.compile_rules()
-- executes them, `dbguard render --rules` prints them, and dbguard.rule_status
-- compares the installed functions with function_body (drift).
--
-- The function: the TG_RELID check once, then each fragment of a rule that is
-- not off as a labeled block in firing order (trigger_order, then rule name),
-- inside one IF: the fragment's events, for an update whether a column it
-- watches changed, and its fast-path condition. The package's compiler made a
-- fragment's RETURN NEW an EXIT of its block, so NEW flows from one rule to the
-- next as through a chain of triggers; RETURN NULL in a BEFORE fragment skips
-- the row, as it would in a trigger. A group whose rules are all off gets no
-- function and no trigger: its statements drop them.
--
-- The trigger: dbguard_<NNN>_<timing>, NNN the lowest trigger_order of the
-- group's fragments in any mode (so the name, and its place among the table's
-- other triggers, does not change with the modes), UPDATE OF the union of the
-- watched columns unless a fragment watches every update, and no WHEN clause:
-- the fast paths are tested in the function. PostgreSQL prepares a trigger's
-- WHEN clause for every statement; an OR of the fast paths cost a booking more
-- than the call it saves (benchmarks/instructions.py). A mode change replaces
-- the function only, which blocks no writer of the table, where replacing a
-- trigger would lock it until the change commits.
--
-- Every name in the generated code comes from the catalog or dbguard's own
-- tables and is quoted (%I, %L); fragment bodies come from rule_fragments,
-- which only the owner writes. The body is dollar-quoted with a tag no fragment
-- may contain.
CREATE OR REPLACE FUNCTION dbguard.compiled_rules()
RETURNS TABLE (table_name regclass, timing text, function_name text, trigger_name text,
               rules text[], function_body text, statements text[], trigger_statement text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    v_function text;
    v_body text;
    v_gates text;
    v_rules text[];
    v_events text[];
    v_columns text[];
    v_every_update boolean;
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
        table_name := g.tbl;
        timing := g.tmg;
        function_name := v_function || '()';
        trigger_name := pg_catalog.format('dbguard_%s_%s', pg_catalog.lpad(g.trigger_order::text, 3, '0'), g.tmg);

        SELECT pg_catalog.string_agg(
                   pg_catalog.format(E'    IF %s THEN\n    <<%s>>\n%s %s;\n    END IF;\n',
                       pg_catalog.array_to_string(ARRAY[
                           CASE WHEN f.on_insert THEN
                               '(TG_OP = ''INSERT''' || coalesce(' AND (' || f.insert_when || ')', '') || ')' END,
                           CASE WHEN f.on_update THEN
                               '(TG_OP = ''UPDATE'''
                               || CASE WHEN f.update_of IS NULL THEN ''
                                       WHEN pg_catalog.cardinality(f.update_of) = 1
                                       THEN pg_catalog.format(' AND NEW.%1$I IS DISTINCT FROM OLD.%1$I', f.update_of[1])
                                       ELSE pg_catalog.format(' AND ROW(%s) IS DISTINCT FROM ROW(%s)',
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
               pg_catalog.array_agg(f.rule ORDER BY f.trigger_order, f.rule)
          INTO v_gates, v_rules
          FROM dbguard.rule_fragments f
         WHERE f.table_name = g.tbl AND f.timing = g.tmg AND f.mode = dbguard.compiled_mode(f.rule);

        -- The trigger's events and columns come from every fragment of the group,
        -- whatever its mode: the trigger stays as it is when a mode changes.
        SELECT pg_catalog.array_agg(DISTINCT e.event),
               pg_catalog.bool_or(f.on_update AND f.update_of IS NULL)
          INTO v_events, v_every_update
          FROM dbguard.rule_fragments f
         CROSS JOIN LATERAL (VALUES (CASE WHEN f.on_insert THEN 'INSERT' END),
                                    (CASE WHEN f.on_update THEN 'UPDATE' END),
                                    (CASE WHEN f.on_delete THEN 'DELETE' END)) e(event)
         WHERE f.table_name = g.tbl AND f.timing = g.tmg AND e.event IS NOT NULL;
        SELECT pg_catalog.array_agg(DISTINCT u ORDER BY u)
          INTO v_columns
          FROM dbguard.rule_fragments f
         CROSS JOIN pg_catalog.unnest(f.update_of) u
         WHERE f.table_name = g.tbl AND f.timing = g.tmg;

        rules := coalesce(v_rules, '{}');
        IF v_gates IS NULL THEN
            -- Every rule of the group is off: no code runs, no trigger fires.
            function_body := NULL;
            statements := ARRAY[pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', trigger_name, g.tbl),
                                pg_catalog.format('DROP FUNCTION IF EXISTS %s()', v_function)];
            trigger_statement := NULL;
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
        trigger_statement := pg_catalog.format(
            E'CREATE OR REPLACE TRIGGER %I\n    %s %s ON %s\n    FOR EACH ROW\n    EXECUTE FUNCTION %s()',
            trigger_name,
            CASE WHEN g.tmg = 'before_row' THEN 'BEFORE' ELSE 'AFTER' END,
            pg_catalog.array_to_string(ARRAY(
                SELECT CASE WHEN e = 'UPDATE' AND v_columns IS NOT NULL AND NOT v_every_update
                            THEN 'UPDATE OF ' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY c)
                                                    FROM pg_catalog.unnest(v_columns) c)
                            ELSE e END
                  FROM pg_catalog.unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) e
                 WHERE e = ANY (v_events)), ' OR '),
            g.tbl,
            v_function);
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION dbguard.compiled_rules() FROM PUBLIC;
