-- Rewrites dbguard.rule_mode from dbguard.rule_settings, one CASE branch per rule,
-- so that a rule reads its mode without a query (issue 7; see rule_mode/v3.sql).
-- Called by the trigger on dbguard.rule_settings: every change of a mode,
-- through `dbguard rules set-mode` or a plain UPDATE, rewrites the function in
-- the same transaction (a rollback restores the old one).
CREATE OR REPLACE FUNCTION dbguard.write_rule_mode()
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_branches text;
BEGIN
    -- The function is written from the table as this statement sees it. Under
    -- READ COMMITTED each statement sees what others committed before it; under
    -- REPEATABLE READ or SERIALIZABLE a mode another session changed since the
    -- transaction began would be written back to its old value.
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'dbguard.rule_settings can only be changed in a READ COMMITTED transaction (this one is %)',
                pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = '0A000',
                  DETAIL = 'A change of a rule mode rewrites dbguard.rule_mode() from the whole table, and this transaction''s snapshot may miss modes other sessions changed since it began.',
                  HINT = 'Run the change in its own transaction: BEGIN ISOLATION LEVEL READ COMMITTED; ... COMMIT; (or dbguard rules set-mode RULE MODE).';
    END IF;
    -- One writer at a time, held to commit: two concurrent CREATE OR REPLACE of one
    -- function fail with "tuple concurrently updated", and the second writer must
    -- read the table after the first one's commit, not before.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dbguard.write_rule_mode'));
    SELECT pg_catalog.string_agg(
               pg_catalog.format('WHEN p_rule OPERATOR(pg_catalog.=) %L THEN %L', s.rule, s.mode),
               E'\n                ' ORDER BY s.rule)
      INTO v_branches
      FROM dbguard.rule_settings s;
    -- No SET clause and no table in the body: that is what lets the planner inline
    -- the call and fold it to a constant. Operators are schema-qualified instead.
    EXECUTE pg_catalog.format($ddl$
CREATE OR REPLACE FUNCTION dbguard.rule_mode(p_rule text)
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $body$
    -- Written by dbguard.write_rule_mode() from dbguard.rule_settings: do not edit,
    -- change dbguard.rule_settings (dbguard rules set-mode) instead.
    SELECT CASE %s
                ELSE 'correct'
           END
$body$
$ddl$, coalesce(v_branches, 'WHEN false THEN NULL'));
END
$$;
