-- Rewrites dbguard.rule_mode from dbguard.rule_settings, one CASE branch per rule,
-- so that a rule reads its mode without a query (see rule_mode.sql).
-- Called by the trigger on dbguard.rule_settings: every change of a mode,
-- through `dbguard rules set-mode` or a plain UPDATE, rewrites the function in
-- the same transaction (a rollback restores the old one).
-- The isolation check and the writer's lock are
-- dbguard.lock_generated_functions(), shared with write_lookup_functions; the
-- body is passed as a quoted literal. search_path is pinned to pg_catalog, pg_temp; the generated function names its
-- types pg_catalog's and is not executable by PUBLIC (docs/security.md).
CREATE OR REPLACE FUNCTION dbguard.write_rule_mode()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_branches text;
BEGIN
    PERFORM dbguard.lock_generated_functions('dbguard.write_rule_mode', 'dbguard.rule_settings',
                                             'dbguard.rule_mode()');
    SELECT pg_catalog.string_agg(
               pg_catalog.format('WHEN p_rule OPERATOR(pg_catalog.=) %L THEN %L', s.rule, s.mode),
               E'\n                ' ORDER BY s.rule)
      INTO v_branches
      FROM dbguard.rule_settings s;
    -- No SET clause and no table in the body: that is what lets the planner inline
    -- the call and fold it to a constant. Operators are schema-qualified instead.
    -- The body is passed as a quoted literal (%L), not between dollar quotes,
    -- so no rule name, whatever it holds, can end the body early.
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION dbguard.rule_mode(p_rule pg_catalog.text) '
        'RETURNS pg_catalog.text LANGUAGE sql STABLE PARALLEL SAFE AS %L',
        pg_catalog.format($body$
    -- Written by dbguard.write_rule_mode() from dbguard.rule_settings: do not edit,
    -- change dbguard.rule_settings (dbguard rules set-mode) instead.
    SELECT CASE %s
                ELSE 'correct'
           END
$body$, coalesce(v_branches, 'WHEN false THEN NULL')));
    REVOKE ALL ON FUNCTION dbguard.rule_mode(pg_catalog.text) FROM PUBLIC;
END
$$;
REVOKE ALL ON FUNCTION dbguard.write_rule_mode() FROM PUBLIC;
