-- The mode a rule runs in; rules without a settings row run in 'correct'.
-- v2: PL/pgSQL, not SQL. A SQL function with a SET clause is never inlined,
-- and before PostgreSQL 18 its query was parsed and planned again in every
-- transaction (~20 µs a call, 15 calls per booking); PL/pgSQL keeps the plan
-- for the session (docs/benchmarks.md).
CREATE OR REPLACE FUNCTION dbguard.rule_mode(p_rule text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    v_mode text;
BEGIN
    SELECT s.mode INTO v_mode FROM dbguard.rule_settings s WHERE s.rule = p_rule;
    RETURN coalesce(v_mode, 'correct');
END
$$;
