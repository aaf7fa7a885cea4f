"""One run at a time per reconcile rule and per backfill kind.

Two ``reconcile`` runs of the same rule at once would both count, repair and
report the same offenders; two backfills of one kind would race for the same
rows. Each run takes a session advisory lock per rule (or kind) before it
changes anything, all of them up front. A second run does not queue: it stops
at once with exit code 2 and a message naming what is busy and who holds it
(a cron job that overlaps its previous run should skip, not pile up). A run
that is killed loses its locks with its connection.

The lock key is (``LOCK_CLASS``, ``hashtext('<job>:<name>')``); two names
hashing alike only make one wait for the other, never run twice.
"""

from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import psycopg

from .errors import DbguardError

# First half of the two-int advisory lock key: "dg" (the migrator uses the one-bigint form).
LOCK_CLASS = 0x6467


class Busy(DbguardError):
    """Another run holds the lock of this job (reconcile rule, backfill kind)."""


def _key(job: str, name: str) -> str:
    return f"{job}:{name}"


def _holder(conn: psycopg.Connection, key: str) -> str:
    row = conn.execute(
        """SELECT a.pid, a.application_name, a.usename, a.client_addr::text, a.backend_start
             FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid
              AND l.objid = pg_catalog.hashtext(%s)::oid AND l.objsubid = 2
            LIMIT 1""", (LOCK_CLASS, key)).fetchone()
    if row is None:
        return "a session that has just finished"
    pid, app, user, addr, started = row
    where = f" from {addr}" if addr else ""
    return f"server process {pid} ({app or 'no application_name'}, user {user}{where}, connected {started:%Y-%m-%d %H:%M:%S %Z})"


@contextlib.contextmanager
def exclusive(conn: psycopg.Connection, job: str, names: Iterable[str]) -> Iterator[None]:
    """Hold the advisory lock of every ``job:name`` for the duration, or raise Busy.

    Taken in a sorted order and all before the caller changes anything; on
    Busy, the locks already taken are released."""
    taken: list[str] = []
    try:
        for name in sorted(set(names)):
            key = _key(job, name)
            with conn.transaction():
                got = conn.execute("SELECT pg_catalog.pg_try_advisory_lock(%s, pg_catalog.hashtext(%s))",
                                   (LOCK_CLASS, key)).fetchone()[0]
                holder = None if got else _holder(conn, key)
            if holder is not None:
                raise Busy(f"another dbguard {job} of {name} is running ({holder}); this one changed nothing. "
                           f"Run it again when that one has finished (it holds advisory lock {key!r}).")
            taken.append(key)
        yield
    finally:
        if not conn.closed and not conn.broken:
            for key in reversed(taken):
                with contextlib.suppress(psycopg.Error):
                    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
                        conn.rollback()
                    # Not transactional: released at once, whatever the transaction does next.
                    with conn.transaction():
                        conn.execute("SELECT pg_catalog.pg_advisory_unlock(%s, pg_catalog.hashtext(%s))",
                                     (LOCK_CLASS, key))
