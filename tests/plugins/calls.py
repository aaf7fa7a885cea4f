"""Fixtures and helpers for the call <-> appointment rules."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

import dbguard

MODES = ("off", "alert", "correct", "enforce")
START = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.timezone.utc)


def insert(conn: psycopg.Connection, table: str, **cols) -> int:
    """INSERT one row into public.<table> and return its id."""
    if not cols:
        return conn.execute(sql.SQL("INSERT INTO public.{} DEFAULT VALUES RETURNING id")
                            .format(sql.Identifier(table))).fetchone()[0]
    query = sql.SQL("INSERT INTO public.{} ({}) VALUES ({}) RETURNING id").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols)))
    return conn.execute(query, list(cols.values())).fetchone()[0]


def update(conn: psycopg.Connection, table: str, row_id: int, **cols) -> None:
    query = sql.SQL("UPDATE public.{} SET {} WHERE id = %s").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in cols))
    conn.execute(query, [*cols.values(), row_id])


def new_call(conn: psycopg.Connection, **cols) -> int:
    return insert(conn, "calls", **cols)


def new_appointment(conn: psycopg.Connection, call_id: int | None, **cols) -> int:
    cols = {"starts_at": START, "ends_at": START + dt.timedelta(minutes=30), "call_id": call_id} | cols
    return insert(conn, "appointments", **cols)


def book(conn: psycopg.Connection) -> tuple[int, int]:
    """The booking transaction of the benchmark: call, appointment, confirmation; (call, appointment)."""
    call_id = new_call(conn, direction="inbound")
    appointment = new_appointment(conn, call_id, status="scheduled")
    update(conn, "calls", call_id, booking_confirmed=True, session_outcome="appointment_booked")
    return call_id, appointment


def row(conn: psycopg.Connection, table: str, row_id: int) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql.SQL("SELECT * FROM public.{} WHERE id = %s").format(sql.Identifier(table)),
                           (row_id,)).fetchone()


def call(conn: psycopg.Connection, call_id: int) -> dict | None:
    return row(conn, "calls", call_id)


def alerts(conn: psycopg.Connection, rule: str | None = None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM dbguard.data_consistency_alerts WHERE %(r)s::text IS NULL OR rule = %(r)s "
                           "ORDER BY id", {"r": rule}).fetchall()


def reviews(conn: psycopg.Connection, call_id: int) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM dbguard.manual_review_queue WHERE call_id = %s ORDER BY id",
                           (call_id,)).fetchall()


@pytest.fixture
def counted(conn):
    """counted(name) -> calls of dbguard.<name> in this transaction so far (track_functions)."""
    conn.execute("SET track_functions = 'pl'")

    def _calls(name: str) -> int:
        return conn.execute("SELECT coalesce(pg_stat_get_xact_function_calls(%s::regproc), 0)",
                            (f"dbguard.{name}",)).fetchone()[0]
    return _calls


@pytest.fixture
def set_mode(conn):
    """set_mode(rule, mode): switch a rule for this test, committed so every session sees it."""
    def _set(rule: str, mode: str) -> None:
        dbguard.set_mode(conn, rule, mode)
        conn.commit()
    return _set


def wait_until_blocked(watcher: psycopg.Connection, pid: int) -> None:
    """Return once session ``pid`` waits for a lock (polls pg_stat_activity)."""
    import time

    for _ in range(1000):
        state = watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if state and state[0] == "Lock":
            return
        time.sleep(0.01)
    raise AssertionError(f"session {pid} never waited for a lock")


def commit_behind(first: psycopg.Connection, second: psycopg.Connection, watcher: psycopg.Connection,
                  statement: str) -> None:
    """Run ``statement`` and commit on ``second`` in a thread, check that it waits for a lock held
    by ``first``, then commit ``first``; fail if ``second`` raised or is still waiting."""
    import threading

    failures: list[BaseException] = []

    def run_second() -> None:
        try:
            second.execute(statement)
            second.commit()
        except BaseException as exc:  # reported below
            failures.append(exc)

    worker = threading.Thread(target=run_second)
    worker.start()
    wait_until_blocked(watcher, second.info.backend_pid)
    first.commit()
    worker.join(timeout=30)
    assert not worker.is_alive() and failures == []
