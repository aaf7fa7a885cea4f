DROP TRIGGER IF EXISTS dbguard_rule_mode ON dbguard.rule_settings;
