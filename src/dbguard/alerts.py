"""``dbguard alerts``: list, filter and resolve the rows of dbguard.data_consistency_alerts.

Alerts close by themselves when their violation is gone (``check`` and
``reconcile``: resolved_by 'scan' / 'reconcile'); this is for the rest: an
alert a person has dealt with (resolved_by = who, the note kept in
``details.resolution_note``). Nothing is ever deleted.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .connection import require_installed
from .errors import DbguardError

SEVERITIES = ("info", "warning", "critical")
_COLUMNS = ("id, alert_type, severity, entity_type, entity_id, rule, description, details, detected_at, detected_by, "
            "auto_corrected, resolved_at, resolved_by")


def alerts(conn: psycopg.Connection, *, open_only: bool = False, types: list[str] | None = None,
           severity: str | None = None, since: timedelta | None = None, limit: int | None = 100) -> list[dict]:
    """Alerts, newest first. ``severity``: that severity and above; ``since``: detected within."""
    if severity is not None and severity not in SEVERITIES:
        raise DbguardError(f"unknown severity {severity!r}; use one of: {', '.join(SEVERITIES)}")
    if limit is not None and limit < 1:
        raise DbguardError(f"--limit must be at least 1, not {limit}")
    require_installed(conn)
    levels = list(SEVERITIES[SEVERITIES.index(severity):]) if severity else None
    cur = conn.cursor(row_factory=dict_row)
    return cur.execute(
        f"""SELECT {_COLUMNS} FROM dbguard.data_consistency_alerts
             WHERE (NOT %(open)s OR resolved_at IS NULL)
               AND (%(types)s::text[] IS NULL OR alert_type = ANY(%(types)s::text[]))
               AND (%(levels)s::text[] IS NULL OR severity = ANY(%(levels)s::text[]))
               AND (%(since)s::interval IS NULL OR detected_at >= now() - %(since)s::interval)
             ORDER BY detected_at DESC, id DESC
             LIMIT %(limit)s""",
        {"open": open_only, "types": types or None, "levels": levels, "since": since, "limit": limit}).fetchall()


def alerts_resolve(conn: psycopg.Connection, *, alert_id: int | None = None, alert_type: str | None = None,
                   note: str, by: str | None = None) -> list[int]:
    """Resolve one open alert by id, or every open alert of a type; the ids resolved."""
    if (alert_id is None) == (alert_type is None):
        raise DbguardError("name exactly one: an alert id, or --type TYPE for every open alert of that type")
    if not note or not note.strip():
        raise DbguardError("--note is required: say what was done")
    require_installed(conn)
    with conn.transaction():
        ids = [r[0] for r in conn.execute(
            """UPDATE dbguard.data_consistency_alerts
                  SET resolved_at = now(), resolved_by = coalesce(%(by)s, current_user),
                      details = details || %(note)s
                WHERE resolved_at IS NULL AND (id = %(id)s OR alert_type = %(type)s)
                RETURNING id""",
            {"by": by, "note": Jsonb({"resolution_note": note}), "id": alert_id, "type": alert_type})]
    if alert_id is not None and not ids:
        state = conn.execute("SELECT resolved_at, resolved_by FROM dbguard.data_consistency_alerts WHERE id = %s",
                             (alert_id,)).fetchone()
        if state is None:
            raise DbguardError(f"no alert {alert_id}")
        raise DbguardError(f"alert {alert_id} is already resolved ({state[0]:%Y-%m-%d %H:%M:%S %Z} by {state[1]})")
    return sorted(ids)
