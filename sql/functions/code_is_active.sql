-- The is_active flag of a code in dbguard.vocabularies: true, false, or NULL when
-- the code is not there or its flag is not set, without a query:
-- dbguard.write_lookup_functions() rewrites this function from dbguard.vocabularies
-- whenever the table changes, so lead_rollup ranks an
-- appointment status without a subquery in its locking read (~120 k instructions
-- a booking on PostgreSQL 15). No SET search_path, for the reasons in
-- in_vocabulary.sql.
-- This file is the function as written for an empty table; dbguard migrate
-- writes the real one right after installing it.
CREATE OR REPLACE FUNCTION dbguard.code_is_active(p_vocabulary text, p_value text)
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $body$
    -- Written by dbguard.write_lookup_functions() from dbguard.vocabularies: do not
    -- edit, change dbguard.vocabularies instead.
    SELECT CASE WHEN false THEN false
           END
$body$;
