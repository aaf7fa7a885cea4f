-- The mode a rule runs in; rules without a settings row run in 'correct'.
-- No query: dbguard.write_rule_mode() rewrites this function from
-- dbguard.rule_settings whenever the table changes (trigger dbguard_rule_mode), as
-- one CASE branch per rule. A rule calls dbguard.rule_mode('its name') in a
-- PL/pgSQL expression; the planner inlines this SQL function and folds the CASE to
-- a constant, and the cached plan is invalidated when the function is rewritten,
-- so a new mode reaches every session at its next statement. Reading the table
-- instead would cost ~31 k instructions a call.
-- No SET search_path: a function with a SET clause is never inlined. The body
-- names no table or function, and its operator is schema-qualified, so the
-- caller's search_path cannot change what it returns.
-- This file is the function as written for an empty table; dbguard migrate
-- writes the real one right after installing it.
CREATE OR REPLACE FUNCTION dbguard.rule_mode(p_rule text)
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $body$
    -- Written by dbguard.write_rule_mode() from dbguard.rule_settings: do not edit,
    -- change dbguard.rule_settings (dbguard rules set-mode) instead.
    SELECT CASE WHEN false THEN NULL
                ELSE 'correct'
           END
$body$;
