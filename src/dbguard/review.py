"""The manual review queue (dbguard.manual_review_queue) behind ``dbguard review``."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from .errors import DbguardError

STATUSES = ("pending", "in_progress", "resolved", "dismissed")
OPEN_STATUSES = ("pending", "in_progress")

_COLUMNS = ("id, call_id, reason, priority, context, status, created_at, updated_at, "
            "resolved_at, resolved_by, resolution_note")


def review(conn: psycopg.Connection, *, status: list[str] | tuple[str, ...] | None = OPEN_STATUSES,
           reason: str | None = None, call_id: int | None = None, max_priority: int | None = None,
           limit: int | None = 100) -> list[dict]:
    """Entries of the queue, most urgent first (priority, then oldest).

    ``status`` None lists every status; the default lists the open ones.
    ``max_priority`` 2 lists priorities 1 and 2.
    """
    statuses = list(status) if status else list(STATUSES)
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise DbguardError(f"unknown review status {', '.join(unknown)}; use one of: {', '.join(STATUSES)}")
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"""SELECT {_COLUMNS} FROM dbguard.manual_review_queue
                 WHERE status = ANY(%(statuses)s)
                   AND (%(reason)s::text IS NULL OR reason = %(reason)s)
                   AND (%(call_id)s::bigint IS NULL OR call_id = %(call_id)s)
                   AND (%(max_priority)s::int IS NULL OR priority <= %(max_priority)s)
                 ORDER BY priority, created_at, id
                 LIMIT %(limit)s""",
            {"statuses": statuses, "reason": reason, "call_id": call_id, "max_priority": max_priority,
             "limit": limit})
        return cur.fetchall()


def _close(conn: psycopg.Connection, entry_id: int, status: str, note: str | None, by: str | None) -> dict:
    if not note or not note.strip():
        raise DbguardError(f"a note is required to mark review entry {entry_id} {status}: say what was done")
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT status FROM dbguard.manual_review_queue WHERE id = %s FOR UPDATE", (entry_id,))
        row = cur.fetchone()
        if row is None:
            raise DbguardError(f"no entry {entry_id} in dbguard.manual_review_queue; list them with: dbguard review")
        if row["status"] not in OPEN_STATUSES:
            raise DbguardError(f"review entry {entry_id} is already {row['status']}; only pending or in_progress "
                               "entries can be resolved or dismissed")
        cur.execute(
            f"""UPDATE dbguard.manual_review_queue
                   SET status = %s, resolution_note = %s, resolved_by = coalesce(%s, current_user),
                       resolved_at = now(), updated_at = now()
                 WHERE id = %s
             RETURNING {_COLUMNS}""", (status, note.strip(), by, entry_id))
        return cur.fetchone()


def review_resolve(conn: psycopg.Connection, entry_id: int, note: str, by: str | None = None) -> dict:
    """Mark an entry resolved: the case was fixed. ``by`` defaults to the database user."""
    return _close(conn, entry_id, "resolved", note, by)


def review_dismiss(conn: psycopg.Connection, entry_id: int, note: str, by: str | None = None) -> dict:
    """Mark an entry dismissed: nothing to do (e.g. a test call)."""
    return _close(conn, entry_id, "dismissed", note, by)


def review_start(conn: psycopg.Connection, entry_id: int) -> dict:
    """Mark a pending entry in_progress: someone is working on it."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"""UPDATE dbguard.manual_review_queue SET status = 'in_progress', updated_at = now()
                         WHERE id = %s AND status = 'pending' RETURNING {_COLUMNS}""", (entry_id,))
        row = cur.fetchone()
        if row is None:
            raise DbguardError(f"review entry {entry_id} does not exist or is not pending")
        return row
