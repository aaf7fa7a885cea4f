-- The triggers (table.trigger) that fire a function, in a stable order.
CREATE OR REPLACE FUNCTION dbguard.rule_triggers(p_function regprocedure)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT pg_catalog.array_agg(t.tgrelid::regclass::text || '.' || t.tgname ORDER BY 1)
      FROM pg_catalog.pg_trigger t
     WHERE t.tgfoid = p_function AND NOT t.tgisinternal
$$;
