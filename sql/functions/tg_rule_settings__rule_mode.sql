-- Keeps dbguard.rule_mode in step with dbguard.rule_settings: any statement that
-- writes the table rewrites the function (see write_rule_mode.sql).
CREATE OR REPLACE FUNCTION dbguard.tg_rule_settings__rule_mode()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    PERFORM dbguard.write_rule_mode();
    RETURN NULL;
END
$$;
