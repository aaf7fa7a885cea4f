"""Helper functions for rules and migrations, and the dbguard.rule_status view."""
from dbguard import steps

step(*steps.functions("rule_mode", "function_fingerprint", "register_rule", "unregister_rule",
                      "add_constraint_if_missing", "drop_invalid_index", "assert_unique"))
step(*steps.schema("0002_rule_status"))
