-- Whether a value belongs to a vocabulary (NULL always does: "not set").
-- v3 (issue 7): no query. dbguard.write_lookup_functions() rewrites this function
-- from dbguard.vocabularies whenever the table changes (migration 0707), as one
-- CASE branch per vocabulary listing its codes. A rule calls it in a PL/pgSQL
-- expression; the planner inlines this SQL function, folds a constant vocabulary
-- name to its one branch, and invalidates the cached plan when the function is
-- rewritten, so a code added by a DBA reaches every session at its next statement.
-- The v2 lookup cost a statement (~5 µs) per check.
-- No SET search_path: a function with a SET clause is never inlined. The body
-- names no table or function, and its operators are schema-qualified, so the
-- caller's search_path cannot change what it returns.
-- This file is the function as written for an empty table; the migration that
-- installs it writes the real one at once.
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
