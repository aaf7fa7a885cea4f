"""Alerts (dbguard.data_consistency_alerts, raise_alert), acting settings, vocabulary checks."""
from dbguard import steps

step(*steps.schema("0008_alerts"))
step(*steps.functions("raise_alert", "acting", "acting_user_id", "in_vocabulary", "raise_vocabulary_error"))
