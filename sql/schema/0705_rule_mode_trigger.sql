-- Every statement that writes dbguard.rule_settings rewrites dbguard.rule_mode()
-- (issue 7: modes read without a query). Statement-level: one rewrite per statement.
CREATE OR REPLACE TRIGGER dbguard_rule_mode
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbguard.rule_settings
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_rule_settings__rule_mode();

SELECT dbguard.write_rule_mode();
