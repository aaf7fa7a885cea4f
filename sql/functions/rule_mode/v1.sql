-- The mode a rule runs in; rules without a settings row run in 'correct'.
CREATE OR REPLACE FUNCTION dbguard.rule_mode(p_rule text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT coalesce(
        (SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule = p_rule),
        'correct')
$$;
