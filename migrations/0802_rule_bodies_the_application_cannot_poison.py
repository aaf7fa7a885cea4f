"""Rule bodies the application cannot poison: a reschedule link must name an appointment written before it (no cycle from one multi-row INSERT) and is checked again when either end moves to another lead; PII redaction stops its walk at 64 levels (deep JSON no longer refuses the write); an appointment's id cannot change under its history; resolve_staff_for_host and assign_staff_from_booking are shipped as the pinned definers 0800 made them, with pg_catalog types, and the mapping audit believes the resolver's marker only with a row the resolver wrote in dbguard.resolver_writes (docs/security.md)."""
from dbguard import steps

step(*steps.schema("0802_resolver_writes"))
step(*steps.functions("redact_pii_walk"))
step(*steps.functions("redact_pii", version=2))
step(*steps.rule("reschedule_chain", 4))
step(*steps.rule("appointment_history", 8))
_staff_v2, _staff_v1 = steps.functions("resolve_staff_for_host", "assign_staff_from_booking", version=2)
# Back to version 1 as 0800 left it: a pinned definer, closed to PUBLIC.
step(_staff_v2, _staff_v1 + "\nSELECT dbguard.secure_function('dbguard.resolve_staff_for_host(bigint, uuid, jsonb)', true);"
                            "\nSELECT dbguard.secure_function('dbguard.assign_staff_from_booking(bigint, jsonb)', true);\n")
step(*steps.rule("host_mapping_audit", 3))
