"""Vocabulary checks and source mappings read without a query: dbguard.in_vocabulary(), dbguard.code_is_active() and dbguard.mapped_booking_source() are rewritten from dbguard.vocabularies and dbguard.source_mappings by triggers on them, and creation_metadata, outcome_flag_sync and lead_rollup read through them (issue 7)."""
from dbguard import steps

step(*steps.functions("lock_generated_functions"))
step(*steps.functions("write_rule_mode", version=2))
step(*steps.functions("write_lookup_functions", "tg_lookup_tables__lookup_functions"))
step(*steps.functions("mapped_booking_source", "code_is_active"))
step(*steps.functions("in_vocabulary", version=3))
step(*steps.schema("0707_lookup_function_triggers"))
step(*steps.rule("creation_metadata", 5))
step(*steps.rule("outcome_flag_sync", 5))
step(*steps.rule("lead_rollup", 6))
