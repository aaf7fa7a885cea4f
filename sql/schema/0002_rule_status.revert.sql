DROP VIEW IF EXISTS dbguard.rule_status;
