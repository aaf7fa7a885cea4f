-- Whether a value belongs to a vocabulary (NULL always does: "not set").
-- No query: dbguard.write_lookup_functions() rewrites this function
-- from dbguard.vocabularies whenever the table changes, as one
-- CASE branch per vocabulary listing its codes. A rule calls it in a PL/pgSQL
-- expression; the planner inlines this SQL function, folds a constant vocabulary
-- name to its one branch, and invalidates the cached plan when the function is
-- rewritten, so a code added by a DBA reaches every session at its next statement.
-- A lookup in the table would cost a statement (~5 µs) per check.
-- No SET search_path: a function with a SET clause is never inlined. The body
-- names no table or function, and its operators are schema-qualified, so the
-- caller's search_path cannot change what it returns.
-- This file is the function as written for an empty table; dbguard migrate
-- writes the real one right after installing it.
CREATE OR REPLACE FUNCTION dbguard.in_vocabulary(p_vocabulary text, p_value text)
RETURNS boolean
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $body$
    -- Written by dbguard.write_lookup_functions() from dbguard.vocabularies: do not
    -- edit, change dbguard.vocabularies instead.
    SELECT p_value IS NULL
           OR CASE WHEN false THEN false
                   ELSE false
              END
$body$;
