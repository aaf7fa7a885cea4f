"""One derivation of booking_source and created_by from appointments.source (dbguard.source_lifecycle, case-insensitive), shared by the creation_metadata rule and `dbguard backfill metadata`."""
from dbguard import steps

step(*steps.functions("source_lifecycle"))
step(*steps.rule("creation_metadata", 6))
