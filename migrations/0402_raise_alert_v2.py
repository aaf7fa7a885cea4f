"""raise_alert v2: the open-alert lookup of scans uses the index (check on 100 k offenders was quadratic)."""
from dbguard import steps

step(*steps.functions("raise_alert", version=2))
