"""Rule violations in SQLSTATE class 23 (23Q01..23Q09) so every driver reports an integrity error; 'correct' sends the client a WARNING with the enforce message; vocabulary values without a repair are refused in 'correct' like 'enforce'; outcome_flag_sync names the phantom booking session_outcome_mismatch and keeps appointment_made while an appointment exists; customer link derivation is silent."""
from dbguard import steps
from dbguard.resources import read_sql

step(read_sql("functions/rule_violation/v2.sql"),
     "DROP FUNCTION IF EXISTS dbguard.rule_violation(text, text, text, text, text, text, text, text, text, jsonb, text, text, text);\n"
     + read_sql("functions/rule_violation/v1.sql"))
step(*steps.functions("vocabulary_message", "call_has_appointment"))
step(*steps.functions("raise_vocabulary_error", "vocabulary_value", "rollback_booking_flags", version=2))
step(*steps.rule("outcome_flag_sync", 6))
step(*steps.rule("customer_link_sync", 5))
