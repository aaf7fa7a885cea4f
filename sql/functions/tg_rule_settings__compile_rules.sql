-- Every statement that writes dbguard.rule_settings recompiles the rules in
-- its own transaction: `dbguard rules set-mode` and a DBA's plain UPDATE take
-- effect together with the write, and a ROLLBACK restores the functions that
-- were. Runs as the writer (only the owner and roles it trusts write the table);
-- dbguard.compile_rules() itself runs as its owner.
CREATE OR REPLACE FUNCTION dbguard.tg_rule_settings__compile_rules()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM dbguard.compile_rules();
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_rule_settings__compile_rules() FROM PUBLIC;
