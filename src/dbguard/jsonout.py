"""The one JSON serialiser of every ``--json`` / ``--format json`` output.

Timestamps, dates and times are ISO 8601 (``2026-01-10T23:59:00+00:00``),
durations ISO 8601 durations (``P1DT2H``), numerics numbers; a result object
is written through its ``as_dict()``. ``ensure_ascii`` (the default) escapes
every control character as ``\\u00XX``, so the text is safe on a terminal.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal


def iso_duration(value: timedelta) -> str:
    """``timedelta(days=1, hours=2)`` -> ``'P1DT2H'``; negative durations get a leading '-'."""
    sign = "-" if value < timedelta(0) else ""
    total = abs(value)
    days, rest = total.days, total - timedelta(days=total.days)
    hours, rest = divmod(rest, timedelta(hours=1))
    minutes, rest = divmod(rest, timedelta(minutes=1))
    seconds = rest.total_seconds()
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if seconds:
        clock += f"{seconds:g}S"
    if not days and not clock:
        return "PT0S"
    return f"{sign}P{f'{days}D' if days else ''}{'T' + clock if clock else ''}"


def _default(value):
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    # UUIDs, paths, IP addresses, ...: their text form.
    return str(value)


def to_json(data, *, indent: int | None = 2) -> str:
    return json.dumps(data, indent=indent, default=_default)
