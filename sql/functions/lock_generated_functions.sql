-- Opens a recompile of the trigger functions from dbguard.rule_settings
-- (dbguard.compile_rules): refuses a transaction that is not READ COMMITTED and
-- takes the compiler's lock, held to commit. p_tables and p_functions only name
-- what is read and written, for the error message.
CREATE OR REPLACE FUNCTION dbguard.lock_generated_functions(p_writer text, p_tables text, p_functions text)
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    -- The functions are written from the table as this statement sees it. Under
    -- READ COMMITTED each statement sees what others committed before it; under
    -- REPEATABLE READ or SERIALIZABLE a row another session changed since the
    -- transaction began would be written back to its old value.
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION '% can only be changed in a READ COMMITTED transaction (this one is %)',
                p_tables, pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = '0A000',
                  DETAIL = pg_catalog.format('A change of %s rewrites %s from the whole table, and this transaction''s snapshot may miss rows other sessions changed since it began.',
                                             p_tables, p_functions),
                  HINT = 'Run the change in its own transaction: BEGIN ISOLATION LEVEL READ COMMITTED; ... COMMIT;';
    END IF;
    -- One writer at a time, held to commit: two concurrent CREATE OR REPLACE of one
    -- function fail with "tuple concurrently updated", and the second writer must
    -- read the table after the first one's commit, not before.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(p_writer));
END
$$;
