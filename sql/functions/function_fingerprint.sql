-- What a function looks like right now, to compare against what was installed.
-- pg_get_functiondef covers body, arguments, volatility, security and SET clauses.
CREATE OR REPLACE FUNCTION dbguard.function_fingerprint(p_function regprocedure)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT md5(pg_catalog.pg_get_functiondef(p_function))
$$;
