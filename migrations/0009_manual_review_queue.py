"""dbguard.manual_review_queue and enqueue_review (priority by reason, one pending entry per call+reason)."""
from dbguard import steps

step(*steps.schema("0009_manual_review_queue"))
step(*steps.functions("review_priority", "enqueue_review"))
