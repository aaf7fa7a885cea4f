-- Forgets a rule whose first version is being rolled back.
CREATE OR REPLACE FUNCTION dbguard.unregister_rule(p_rule text)
RETURNS void
LANGUAGE sql
SET search_path = ''
AS $$
    DELETE FROM dbguard.installed_rules WHERE rule = p_rule;
    DELETE FROM dbguard.rule_settings WHERE rule = p_rule;
$$;
