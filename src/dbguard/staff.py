"""Calendar hosts -> staff: Python wrappers of the SQL functions
``dbguard.resolve_staff_for_host`` and ``dbguard.assign_staff_from_booking``
(docs/staff-assignment.md). The logic lives in the database, so every
language gets the same answer; these only pass the JSON and the transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def _json(value: Any) -> Jsonb | str | None:
    # A str/bytes is JSON text (a provider response as received); PostgreSQL
    # parses it and refuses bad JSON with a clear error. Anything else is
    # serialised, so a dict, a list or a number reaches the SQL check as is.
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode()
    return Jsonb(value)


def resolve_staff_for_host(conn: psycopg.Connection, company_id: int, host: Any,
                           branch_id: uuid.UUID | str | None = None) -> uuid.UUID | None:
    """The staff id a calendar host maps to within ``company_id``, or None.

    ``host`` is one entry of a booking's ``hosts`` (dict or JSON text):
    ``{"id": 123, "email": ..., "name": ..., "username": ..., "timeZone": ...}``.
    A new match is cached as a mapping (audited 'auto_matched'). Runs in a
    transaction (a savepoint inside an open one); malformed input raises
    ``psycopg.errors.InvalidParameterValue`` naming the key at fault.
    """
    with conn.transaction():
        return conn.execute("SELECT dbguard.resolve_staff_for_host(%s, %s, %s::jsonb)",
                            (company_id, branch_id, _json(host))).fetchone()[0]


def assign_staff_from_booking(conn: psycopg.Connection, appointment_id: int, booking: Any) -> uuid.UUID | None:
    """Assign an appointment's staff from a provider booking response (with ``hosts``).

    Returns the appointment's staff id afterwards, or None when no host resolved.
    An appointment that already has staff keeps it.
    """
    with conn.transaction():
        return conn.execute("SELECT dbguard.assign_staff_from_booking(%s, %s::jsonb)",
                            (appointment_id, _json(booking))).fetchone()[0]
