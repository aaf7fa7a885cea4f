"""A row inserted already cancelled keeps its own time as cancelled_at (status_changed_at, else updated_at) instead of the import's now()."""
from dbguard import steps

step(*steps.rule("cancellation_metadata", 5))
