"""Concurrency tests in the style of PostgreSQL's isolation tester.

A spec has named sessions, each an ordered list of named SQL steps. Every
permutation (every interleaving that keeps each session's own order) is run on
real connections: a step is sent, and the runner moves on as soon as the step
finishes or its backend is seen waiting for a lock held by another session --
exactly how isolationtester drives ``permutation`` lines. When every session
waits, the runner waits too, until PostgreSQL's deadlock detector fails one of
them (recorded as a 40P01 error, which fails the spec). A permutation that
schedules a step of a session that is still blocked is invalid (it could never
happen) and is skipped, as isolationtester does.

After each permutation the spec's ``check`` runs on a connection of its own
(rolled back afterwards) and must pass; a deadlock, a hang, or an unexpected error fails the permutation.
A deadlock (SQLSTATE 40P01) always fails, even where a spec allows other
errors. Each step's result rows are kept (``Outcome.results``) for a spec's
``verify(conn, outcome)``, e.g. "exactly one session got the trial call".
"""

from __future__ import annotations

import itertools
import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

import psycopg

STEP_TIMEOUT = 20.0
DEADLOCK = "40P01"


@dataclass
class Spec:
    name: str
    sessions: dict[str, list[tuple[str, str]]]
    setup: str = ""
    check: Callable[[psycopg.Connection], None] | None = None
    # step names allowed to fail, and the SQLSTATE classes they may fail with
    allowed_errors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # like check, but also given the permutation's outcome (step results, errors)
    verify: Callable[[psycopg.Connection, "Outcome"], None] | None = None

    def steps(self) -> dict[str, tuple[str, str]]:
        return {step: (session, sql) for session, steps in self.sessions.items() for step, sql in steps}


@dataclass
class Outcome:
    permutation: tuple[str, ...]
    valid: bool = True
    errors: dict[str, str] = field(default_factory=dict)
    results: dict[str, list[tuple]] = field(default_factory=dict)


def permutations(spec: Spec) -> Iterable[tuple[str, ...]]:
    """Every interleaving of the sessions' steps that keeps each session's order."""
    names = {s: [step for step, _ in steps] for s, steps in spec.sessions.items()}
    slots = [s for s, steps in names.items() for _ in steps]
    seen = set()
    for order in itertools.permutations(slots):
        if order in seen:
            continue
        seen.add(order)
        cursors = {s: iter(steps) for s, steps in names.items()}
        yield tuple(next(cursors[s]) for s in order)


def _blocked(monitor: psycopg.Connection, pid: int) -> bool:
    return bool(monitor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", (pid,)).fetchone()[0])


def _finished_or_blocked(monitor: psycopg.Connection, pid: int, fut: Future) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not fut.done() and not _blocked(monitor, pid):
        if time.monotonic() > deadline:
            raise AssertionError(f"backend {pid} neither finished nor blocked for {STEP_TIMEOUT} s")
        time.sleep(0.002)


def _wait_any(pending: dict[str, tuple[str, Future]], settle: Callable[[str, Future, float], bool]) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        for session, (step, fut) in list(pending.items()):
            if fut.done():
                settle(step, fut, 0)
                del pending[session]
                return
        time.sleep(0.01)
    raise AssertionError(f"sessions {sorted(pending)} all blocked for {STEP_TIMEOUT} s")


def _execute(conn: psycopg.Connection, sql: str) -> list[tuple]:
    cur = conn.execute(sql)
    return cur.fetchall() if cur.description is not None else []


_EMPTY_CLOSURE = """
WITH RECURSIVE t(rel) AS (
    SELECT unnest(%s::regclass[])
    UNION
    SELECT c.conrelid FROM pg_constraint c JOIN t ON c.confrelid = t.rel WHERE c.contype = 'f'
)
SELECT t.rel::regclass::text,
       coalesce(array_agg(s.objid::regclass::text) FILTER (WHERE s.objid IS NOT NULL), '{}')
  FROM t LEFT JOIN pg_depend s ON s.refobjid = t.rel AND s.classid = 'pg_class'::regclass
                              AND s.deptype IN ('a', 'i') AND s.objid IN (SELECT oid FROM pg_class WHERE relkind = 'S')
 GROUP BY t.rel
"""


def empty(conn: psycopg.Connection, *tables: str) -> None:
    """What ``TRUNCATE tables RESTART IDENTITY CASCADE`` leaves, for a few rows and at a fraction of
    its cost (a TRUNCATE makes new files for every table and index): every row of ``tables`` and of
    the tables that reference them deleted with triggers and foreign-key checks off (the
    superuser's session_replication_role = replica), and their sequences restarted."""
    closure = conn.execute(_EMPTY_CLOSURE, (list(tables),)).fetchall()
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for table, sequences in closure:
            conn.execute(f"DELETE FROM {table}")
            for sequence in sequences:
                conn.execute(f"ALTER SEQUENCE {sequence} RESTART")


class _Connections:
    """The sessions' connections and one control connection (reset, setup, lock monitor),
    kept across a spec's permutations. A permutation rolls back what its sessions left open;
    before the next one DISCARD ALL gives each session a new session's state, and a session
    it cannot reset (a broken connection) is opened again."""

    def __init__(self, dsn: str, sessions: Iterable[str]) -> None:
        self.dsn = dsn
        self.control = psycopg.connect(dsn, autocommit=True)
        self.sessions = {s: self._connect() for s in sessions}

    def _connect(self) -> psycopg.Connection:
        # No server-side prepared statements: DISCARD ALL would drop them under psycopg.
        return psycopg.connect(self.dsn, autocommit=True, prepare_threshold=None)

    def fresh(self) -> dict[str, psycopg.Connection]:
        for name, conn in self.sessions.items():
            try:
                conn.execute("DISCARD ALL")
            except psycopg.Error:
                conn.close()
                self.sessions[name] = self._connect()
        return self.sessions

    def close(self) -> None:
        for conn in (*self.sessions.values(), self.control):
            conn.close()


def run_permutation(spec: Spec, permutation: tuple[str, ...], connections: _Connections) -> Outcome:
    outcome = Outcome(permutation)
    steps = spec.steps()
    conns = connections.fresh()
    monitor = connections.control
    pending: dict[str, tuple[str, Future]] = {}

    def settle(step: str, fut: Future, timeout: float) -> bool:
        try:
            outcome.results[step] = fut.result(timeout=timeout)
        except TimeoutError:
            return False
        except psycopg.Error as exc:
            outcome.errors[step] = f"{exc.diag.sqlstate}: {exc.diag.message_primary}"
        return True

    with ThreadPoolExecutor(max_workers=len(conns)) as pool:
        for step in permutation:
            session, sql = steps[step]
            # A session the last step released needs a moment to finish: wait
            # until each waiting session has finished or is seen waiting again.
            for other, (other_step, fut) in list(pending.items()):
                _finished_or_blocked(monitor, conns[other].info.backend_pid, fut)
                if fut.done():
                    settle(other_step, fut, 0)
                    del pending[other]
            if session in pending and len(pending) == len(conns):
                # Every session waits: a lock cycle. PostgreSQL's deadlock
                # detector (deadlock_timeout) ends it by failing one of them;
                # wait for that, as isolationtester does, and record it.
                _wait_any(pending, settle)
            if session in pending:
                outcome.valid = False
                break
            fut = pool.submit(_execute, conns[session], sql)
            deadline = time.monotonic() + STEP_TIMEOUT
            while not fut.done():
                if _blocked(monitor, conns[session].info.backend_pid):
                    pending[session] = (step, fut)
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"{spec.name} {permutation}: step {step} neither finished nor blocked")
                time.sleep(0.002)
            else:
                settle(step, fut, 0)
        for session, (step, fut) in pending.items():
            if not outcome.valid:
                # The session it waits for will never commit in this permutation.
                monitor.execute("SELECT pg_cancel_backend(%s)", (conns[session].info.backend_pid,))
            if not settle(step, fut, STEP_TIMEOUT):
                raise AssertionError(f"{spec.name} {permutation}: step {step} never finished")
    # What a session left open (a permutation ends before its COMMIT, or is invalid)
    # is rolled back before the next permutation's reset.
    for conn in conns.values():
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    return outcome


def run_spec(dsn: str, spec: Spec, reset: Callable[[psycopg.Connection], None]) -> list[Outcome]:
    """Run every permutation; ``reset`` restores the starting data before each one."""
    outcomes = []
    connections = _Connections(dsn, spec.sessions)
    checker = psycopg.connect(dsn)
    try:
        for permutation in permutations(spec):
            reset(connections.control)
            if spec.setup:
                connections.control.execute(spec.setup)
            outcome = run_permutation(spec, permutation, connections)
            outcomes.append(outcome)
            if not outcome.valid:
                continue
            unexpected = {s: e for s, e in outcome.errors.items()
                          if e.startswith(DEADLOCK)
                          or not any(e.startswith(code) for code in spec.allowed_errors.get(s, ()))}
            assert not unexpected, f"{spec.name} {permutation}: {unexpected}"
            try:
                if spec.check is not None:
                    spec.check(checker)
                if spec.verify is not None:
                    spec.verify(checker, outcome)
            except AssertionError as exc:
                raise AssertionError(f"{spec.name} {permutation}: {exc}") from exc
            finally:
                checker.rollback()
    finally:
        checker.close()
        connections.close()
    _log(spec, outcomes)
    return outcomes


def _log(spec: Spec, outcomes: list[Outcome]) -> None:
    """With $DBGUARD_ISOLATION_LOG set, append one line per spec: permutations run,
    valid, and errors by SQLSTATE (the figures in docs/reliability.md)."""
    path = os.environ.get("DBGUARD_ISOLATION_LOG")
    if not path:
        return
    errors: dict[str, int] = {}
    for o in outcomes:
        for e in (o.errors.values() if o.valid else ()):
            errors[e[:5]] = errors.get(e[:5], 0) + 1
    with open(path, "a") as f:
        f.write(json.dumps({"spec": spec.name, "permutations": len(outcomes),
                            "valid": sum(o.valid for o in outcomes), "errors": errors}) + "\n")
