"""``watch``: alerts as they are raised, from LISTEN dbguard_alerts."""

from __future__ import annotations

import json
from typing import Callable

from .connection import connect

CHANNEL = "dbguard_alerts"


def watch(dsn: str, *, count: int | None = None, timeout: float | None = None,
          on_alert: Callable[[dict], None] | None = None,
          on_ready: Callable[[], None] | None = None) -> list[dict]:
    """Listen for alerts (dbguard.raise_alert notifies every one) and hand each
    to ``on_alert``; stop after ``count`` alerts or ``timeout`` seconds (else
    run until interrupted). Returns the alerts received."""
    received: list[dict] = []
    with connect(dsn, autocommit=True, application_name="dbguard watch") as conn:
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
            received.append(alert)
            if on_alert:
                on_alert(alert)
    return received


def format_alert(alert: dict) -> str:
    entity = f"{alert.get('entity_type')}#{alert.get('entity_id')}"
    fixed = " (auto-corrected)" if alert.get("auto_corrected") else ""
    return (f"[{alert.get('severity', '?')}] {alert.get('alert_type', '?')} {entity} "
            f"by {alert.get('detected_by', '?')}: {alert.get('description', '')}{fixed}")
