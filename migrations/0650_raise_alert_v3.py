"""raise_alert v3: the alert notification is cut to fit pg_notify's payload limit (an oversized value in
alert/correct mode made the write fail with 22023 'payload string too long')."""
from dbguard import steps

step(*steps.functions("raise_alert", version=3))
