"""Record each rule's triggers, so that losing one of several is reported as drift."""
from dbguard import steps

step(*steps.functions("rule_triggers"))
step(*steps.schema("0500_rule_triggers"))
step(*steps.functions("register_rule", version=2))
