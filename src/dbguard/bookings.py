"""Booking verification from Python: the same functions any client can call in SQL.

    result = dbguard.validate_appointment_creation(conn, call_id, appointment_id, booking_id)
    if not result.success:
        dbguard.rollback_booking_flags(conn, call_id, "appointment_validation_failed")

They run in the caller's transaction (nothing is committed here), so a roll-back
of the flags commits or rolls back together with the application's own writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of dbguard.validate_appointment_creation.

    ``reason`` is None on success, else one of ``appointment_not_found``,
    ``appointment_not_linked``, ``booking_id_mismatch``, ``stale_timestamps``.
    """

    success: bool
    reason: str | None
    details: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.success


def validate_appointment_creation(conn: psycopg.Connection, call_id: int, appointment_id: int | None,
                                  booking_id: str | None = None) -> ValidationResult:
    """Check that ``appointment_id`` exists, belongs to ``call_id``, carries
    ``booking_id`` (else the call's booking_id) and is not stale."""
    row = conn.execute("SELECT success, reason, details FROM dbguard.validate_appointment_creation(%s, %s, %s)",
                       (call_id, appointment_id, booking_id)).fetchone()
    return ValidationResult(row[0], row[1], row[2] or {})


def rollback_booking_flags(conn: psycopg.Connection, call_id: int,
                           reason: str = "appointment_validation_failed") -> int:
    """Take back a call's claim of a booking (flags false, status creation_failed),
    with a critical alert and a manual review entry for ``reason``; returns the review entry id."""
    return conn.execute("SELECT dbguard.rollback_booking_flags(%s, %s)", (call_id, reason)).fetchone()[0]


def enqueue_review(conn: psycopg.Connection, call_id: int | None, reason: str, context: dict | None = None) -> int:
    """Put a call on dbguard.manual_review_queue (one pending entry per call and
    reason; a repeat is counted and keeps the first ``context``); returns the entry id."""
    return conn.execute("SELECT dbguard.enqueue_review(%s, %s, %s)",
                        (call_id, reason, Jsonb(context or {}))).fetchone()[0]
