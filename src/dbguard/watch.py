"""``watch``: alerts as they are raised, from LISTEN dbguard_alerts.

LISTEN needs no privilege, so a notification carries no written value (id,
type, severity, entity, detected_by, auto_corrected, rule: raise_alert v4).
The description and details are read from dbguard.data_consistency_alerts by
id, with the watching role's own privileges; a role that may not read the
table still gets the notification's fields."""

from __future__ import annotations

import json
from typing import Callable

import psycopg
from psycopg.rows import dict_row

from .connection import connect

CHANNEL = "dbguard_alerts"


def watch(dsn: str, *, count: int | None = None, timeout: float | None = None,
          on_alert: Callable[[dict], None] | None = None,
          on_ready: Callable[[], None] | None = None) -> list[dict]:
    """Listen for alerts (dbguard.raise_alert notifies every one) and hand each
    to ``on_alert``; stop after ``count`` alerts or ``timeout`` seconds (else
    run until interrupted). Returns the alerts received."""
    received: list[dict] = []
    # A second connection reads the alerts: the listening one is busy in notifies().
    with connect(dsn, autocommit=True, application_name="dbguard watch") as conn, \
            connect(dsn, autocommit=True, application_name="dbguard watch (reader)") as reader:
        conn.execute(f"LISTEN {CHANNEL}")
        if on_ready:
            on_ready()
        if count is not None and count <= 0:
            return received
        for note in conn.notifies(timeout=timeout, stop_after=count):
            try:
                alert = json.loads(note.payload)
            except ValueError:
                alert = {"description": note.payload}
            alert = _with_details(reader, alert)
            received.append(alert)
            if on_alert:
                on_alert(alert)
    return received


def _with_details(conn: psycopg.Connection, alert: dict) -> dict:
    """The notification's fields plus the alert's description and details from the table."""
    if not isinstance(alert.get("id"), int):
        return alert
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute("SELECT description, details FROM dbguard.data_consistency_alerts WHERE id = %s",
                              (alert["id"],)).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return alert
    return alert | row if row else alert


def format_alert(alert: dict) -> str:
    entity = f"{alert.get('entity_type')}#{alert.get('entity_id')}"
    fixed = " (auto-corrected)" if alert.get("auto_corrected") else ""
    return (f"[{alert.get('severity', '?')}] {alert.get('alert_type', '?')} {entity} "
            f"by {alert.get('detected_by', '?')}: {alert.get('description', '')}{fixed}")
