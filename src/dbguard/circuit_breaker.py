"""The circuit breaker from Python (DESIGN.md §2): a context manager and decorator
over dbguard.breaker_allow / breaker_record_success / breaker_record_failure,
plus the admin side behind ``dbguard breaker``.

    with dbguard.breaker(conn, "calcom"):
        calcom.create_booking(...)          # BreakerOpen when the breaker says no

    @dbguard.breaker(get_conn, "calcom")    # a connection, or a callable returning one
    def create_booking(...): ...

The breaker's state is shared by every application server through the
database, so each report is committed at once: give the breaker a connection
that is not inside a transaction (autocommit, or idle), ideally its own.
"""

from __future__ import annotations

from contextlib import ContextDecorator
from datetime import datetime
from typing import Callable, Union

import psycopg
from psycopg.rows import dict_row

from .errors import DbguardError

ConnectionSource = Union[psycopg.Connection, Callable[[], psycopg.Connection]]


class BreakerOpen(DbguardError):
    """The breaker of ``key`` refuses calls now (open, or half-open with its trial out)."""

    def __init__(self, key: str, state: str | None, retry_at: datetime | None):
        self.key, self.state, self.retry_at = key, state, retry_at
        when = f"; next trial possible at {retry_at.isoformat()}" if retry_at else ""
        super().__init__(f"circuit breaker {key!r} is {state or 'open'}: call not attempted{when}")


def _call(conn: psycopg.Connection, query: str, params: tuple):
    """Run one breaker function in a transaction of its own, committed at once."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise DbguardError(
            "the circuit breaker needs a connection outside a transaction (its state must be committed at "
            "once for the other servers): commit first, or give it an autocommit connection of its own")
    with conn.transaction():
        return conn.execute(query, params).fetchone()[0]


# Applications call the breaker at the server's time; an explicit ``now`` (tests,
# replays) goes to the owner's *_at variants, which an application role cannot execute.
def allow(conn: psycopg.Connection, key: str, now: datetime | None = None) -> bool:
    if now is None:
        return _call(conn, "SELECT dbguard.breaker_allow(%s)", (key,))
    return _call(conn, "SELECT dbguard.breaker_allow_at(%s, %s)", (key, now))


def record_success(conn: psycopg.Connection, key: str, now: datetime | None = None) -> str:
    if now is None:
        return _call(conn, "SELECT dbguard.breaker_record_success(%s)", (key,))
    return _call(conn, "SELECT dbguard.breaker_record_success_at(%s, %s)", (key, now))


def record_failure(conn: psycopg.Connection, key: str, error: str | None = None,
                   now: datetime | None = None) -> str:
    if now is None:
        return _call(conn, "SELECT dbguard.breaker_record_failure(%s, %s)", (key, error))
    return _call(conn, "SELECT dbguard.breaker_record_failure_at(%s, %s, %s)", (key, error, now))


def _finite(column: str) -> str:
    """A timestamp column as Python can hold it: a stored infinity (which no
    datetime represents) reads as NULL instead of failing the whole query."""
    return f"CASE WHEN pg_catalog.isfinite({column}) THEN {column} END"


class breaker(ContextDecorator):  # noqa: N801 -- used like a function: dbguard.breaker(conn, key)
    """Guard a call to an outside dependency with the breaker of ``key``.

    On entry asks ``breaker_allow``; raises ``BreakerOpen`` if refused. On exit
    records a success, or a failure when an exception of one of ``failures``
    (default: any ``Exception``) escapes the block; the exception propagates.
    Other exceptions (e.g. ones listed in ``ignore``: the caller's own bad
    input) are recorded as neither, so they neither open nor close the breaker.
    """

    def __init__(self, conn: ConnectionSource, key: str, *,
                 failures: tuple[type[BaseException], ...] = (Exception,),
                 ignore: tuple[type[BaseException], ...] = ()):
        self._conn_source = conn
        self.key = key
        self.failures = failures
        self.ignore = ignore

    def _conn(self) -> psycopg.Connection:
        source = self._conn_source
        return source if isinstance(source, psycopg.Connection) else source()

    def __enter__(self) -> "breaker":
        conn = self._conn()
        if not allow(conn, self.key):
            row = conn.execute(
                "SELECT state, " + _finite("CASE WHEN state = 'open' THEN opened_at + cooldown"
                                           "     ELSE trial_started_at + trial_timeout END") +
                "  FROM dbguard.circuit_breaker_states WHERE key = %s", (self.key,)).fetchone()
            if not conn.autocommit:
                conn.rollback()
            raise BreakerOpen(self.key, *(row or (None, None)))
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        conn = self._conn()
        if exc is None:
            record_success(conn, self.key)
        elif isinstance(exc, self.failures) and not isinstance(exc, self.ignore):
            record_failure(conn, self.key, f"{type(exc).__name__}: {exc}")
        return False


def breaker_status(conn: psycopg.Connection, key: str | None = None) -> list[dict]:
    """Every breaker (or one) with its state, counters, thresholds and last transition."""
    with conn.cursor(row_factory=dict_row) as cur:
        times = ", ".join(f"{_finite('s.' + c)} AS {c}" for c in (
            "opened_at", "trial_started_at", "state_changed_at", "last_failure_at"))
        cur.execute(
            f"""SELECT s.key, s.state, s.failure_count, s.success_count, s.failure_threshold,
                      s.success_threshold, s.cooldown, s.trial_timeout, {times},
                      s.last_error, {_finite('s.last_success_at')} AS last_success_at,
                      (SELECT count(*) FROM dbguard.circuit_breaker_transitions t
                        WHERE t.key = s.key AND t.to_state = 'open') AS times_opened
                 FROM dbguard.circuit_breaker_states s
                WHERE %(key)s::text IS NULL OR s.key = %(key)s
                ORDER BY s.key""", {"key": key})
        rows = cur.fetchall()
    if key is not None and not rows:
        raise DbguardError(f"no circuit breaker {key!r}; a breaker appears with its first breaker_allow call")
    return rows


def breaker_reset(conn: psycopg.Connection, key: str) -> dict:
    """Close the breaker of ``key`` by hand (kept as a 'reset' transition)."""
    breaker_status(conn, key)  # names the key when it does not exist
    with conn.transaction():
        conn.execute("SELECT dbguard.breaker_reset(%s)", (key,))
    return breaker_status(conn, key)[0]


def breaker_configure(conn: psycopg.Connection, key: str, *, failure_threshold: int | None = None,
                      cooldown: str | None = None, success_threshold: int | None = None,
                      trial_timeout: str | None = None) -> dict:
    """Set the thresholds of ``key`` (intervals as PostgreSQL text, e.g. '30 seconds')."""
    for name, value in (("failure_threshold", failure_threshold), ("success_threshold", success_threshold)):
        if value is not None and value < 1:
            raise DbguardError(f"{name} must be at least 1, not {value}")
    with conn.transaction():
        conn.execute("SELECT dbguard.breaker_configure(%s, %s, %s::interval, %s, %s::interval)",
                     (key, failure_threshold, cooldown, success_threshold, trial_timeout))
    return breaker_status(conn, key)[0]
