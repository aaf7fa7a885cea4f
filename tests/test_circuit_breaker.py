"""The circuit breaker: state machine on an injected clock, one half-open trial
among concurrent callers, every transition kept, the Python client and CLI."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

import dbguard
from dbguard import BreakerOpen
from dbguard.errors import DbguardError

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def allow(conn, key, t):
    return conn.execute("SELECT dbguard.breaker_allow_at(%s, %s)", (key, at(t))).fetchone()[0]


def success(conn, key, t):
    return conn.execute("SELECT dbguard.breaker_record_success_at(%s, %s)", (key, at(t))).fetchone()[0]


def failure(conn, key, t, error="boom"):
    return conn.execute("SELECT dbguard.breaker_record_failure_at(%s, %s, %s)", (key, error, at(t))).fetchone()[0]


def state(conn, key):
    return conn.execute("SELECT state, failure_count, success_count FROM dbguard.circuit_breaker_states "
                        "WHERE key = %s", (key,)).fetchone()


def transitions(conn, key):
    return conn.execute("SELECT from_state, to_state, reason, occurred_at FROM dbguard.circuit_breaker_transitions "
                        "WHERE key = %s ORDER BY id", (key,)).fetchall()


def open_breaker(conn, key, t=0):
    for i in range(3):
        failure(conn, key, t + i * 0.1)
    assert state(conn, key)[0] == "open"


def test_full_cycle_closed_open_half_open_closed_on_the_injected_clock(conn):
    assert allow(conn, "calcom", 0) is True
    assert failure(conn, "calcom", 1) == "closed"
    assert failure(conn, "calcom", 2) == "closed"
    assert failure(conn, "calcom", 3, "HTTP 503") == "open"
    assert allow(conn, "calcom", 4) is False
    assert allow(conn, "calcom", 32.9) is False, "cool-down is 30 s from the opening failure"
    assert allow(conn, "calcom", 33) is True, "first caller after the cool-down gets the trial"
    assert state(conn, "calcom")[0] == "half_open"
    assert allow(conn, "calcom", 33.5) is False, "one trial at a time"
    assert success(conn, "calcom", 34) == "half_open"
    assert allow(conn, "calcom", 35) is True, "the next trial after a good one"
    assert success(conn, "calcom", 36) == "closed"
    assert state(conn, "calcom") == ("closed", 0, 0)
    assert allow(conn, "calcom", 37) is True
    assert transitions(conn, "calcom") == [
        ("closed", "open", "failure_threshold", at(3)),
        ("open", "half_open", "cooldown_elapsed", at(33)),
        ("half_open", "closed", "recovered", at(36)),
    ]
    assert conn.execute("SELECT error FROM dbguard.circuit_breaker_transitions WHERE to_state = 'open'"
                        ).fetchone()[0] == "HTTP 503"


def test_failed_trial_reopens_and_restarts_the_cool_down(conn):
    open_breaker(conn, "k")
    assert allow(conn, "k", 31) is True
    assert failure(conn, "k", 32) == "open"
    assert allow(conn, "k", 61) is False, "a new cool-down runs from the failed trial"
    assert allow(conn, "k", 62) is True
    assert [t[:2] for t in transitions(conn, "k")] == [
        ("closed", "open"), ("open", "half_open"), ("half_open", "open"), ("open", "half_open")]


def test_a_success_ends_the_failure_streak(conn):
    failure(conn, "k", 0)
    failure(conn, "k", 1)
    success(conn, "k", 2)
    failure(conn, "k", 3)
    failure(conn, "k", 4)
    assert state(conn, "k") == ("closed", 2, 0)
    assert transitions(conn, "k") == []


def test_late_reports_while_open_change_nothing(conn):
    open_breaker(conn, "k")
    assert success(conn, "k", 5) == "open"
    assert failure(conn, "k", 29) == "open"
    assert allow(conn, "k", 31) is True, "a late failure does not extend the cool-down"


def test_a_trial_that_never_reports_back_is_given_to_the_next_caller_after_the_trial_timeout(conn):
    open_breaker(conn, "k")
    assert allow(conn, "k", 31) is True
    assert allow(conn, "k", 60) is False
    assert allow(conn, "k", 61.5) is True, "trial_timeout (30 s) after the lost trial started"
    assert allow(conn, "k", 62) is False


def test_thresholds_are_per_key(conn):
    conn.execute("SELECT dbguard.breaker_configure('fragile', 1, '5 seconds', 1, '10 seconds')")
    assert failure(conn, "fragile", 0) == "open"
    assert allow(conn, "fragile", 4) is False
    assert allow(conn, "fragile", 5) is True
    assert success(conn, "fragile", 6) == "closed"
    assert failure(conn, "other", 0) == "closed", "other keys keep the defaults (3 / 30 s / 2)"


def test_the_clock_can_be_set_for_the_session_with_dbguard_now(conn):
    conn.execute("SELECT set_config('dbguard.now', %s, false)", (at(0).isoformat(),))
    for _ in range(3):
        conn.execute("SELECT dbguard.breaker_record_failure('k', 'x')")
    assert conn.execute("SELECT dbguard.breaker_allow('k')").fetchone()[0] is False
    conn.execute("SELECT set_config('dbguard.now', %s, false)", (at(30).isoformat(),))
    assert conn.execute("SELECT dbguard.breaker_allow('k')").fetchone()[0] is True


def test_empty_key_is_refused(conn):
    with pytest.raises(dbguard.errors.RuleViolation, match="needs a key"):
        conn.execute("SELECT dbguard.breaker_allow(' ')")


def _concurrently(dsn, n, work):
    """Run work(conn) in n threads, each with its own autocommit connection, released together."""
    conns = [psycopg.connect(dsn, autocommit=True) for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(conns[i])
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in conns:
        c.close()
    assert not errors, errors
    return results


def test_twenty_concurrent_callers_in_half_open_get_exactly_one_trial(conn, dsn):
    open_breaker(conn, "calcom")
    conn.commit()
    for round_ in range(3):
        t = 31 + round_ * 40
        granted = _concurrently(dsn, 20, lambda c: allow(c, "calcom", t))
        assert granted.count(True) == 1, f"round {round_}: {granted.count(True)} trials granted"
        # the trial fails: open again, next round after the cool-down
        assert failure(conn, "calcom", t + 1) == "open"
        conn.commit()
    assert [r[:2] for r in transitions(conn, "calcom")].count(("open", "half_open")) == 3


def test_concurrent_failures_open_the_breaker_exactly_once(conn, dsn):
    conn.execute("SELECT dbguard.breaker_allow('k')")
    conn.commit()
    _concurrently(dsn, 20, lambda c: failure(c, "k", 0))
    assert state(conn, "k")[:2] == ("open", 20)
    assert [t[:2] for t in transitions(conn, "k")] == [("closed", "open")]


def test_context_manager_records_results_and_raises_breaker_open(dsn, connect):
    conn = connect(autocommit=True)
    conn.execute("SELECT set_config('dbguard.now', %s, false)", (at(0).isoformat(),))
    with dbguard.breaker(conn, "calcom"):
        pass
    for _ in range(3):
        with pytest.raises(ConnectionError):
            with dbguard.breaker(conn, "calcom"):
                raise ConnectionError("calcom unreachable")
    assert state(conn, "calcom")[0] == "open"
    assert conn.execute("SELECT last_error FROM dbguard.circuit_breaker_states").fetchone()[0] \
        == "ConnectionError: calcom unreachable"
    ran = []
    with pytest.raises(BreakerOpen, match="'calcom' is open") as info:
        with dbguard.breaker(conn, "calcom"):
            ran.append(True)
    assert ran == [] and info.value.retry_at == at(30)
    assert isinstance(info.value, DbguardError)

    conn.execute("SELECT set_config('dbguard.now', %s, false)", (at(31).isoformat(),))

    @dbguard.breaker(lambda: conn, "calcom")
    def book():
        return "booked"

    assert book() == "booked" and book() == "booked"
    assert state(conn, "calcom")[0] == "closed"


def test_ignored_exceptions_count_as_neither_success_nor_failure(connect):
    conn = connect(autocommit=True)
    for _ in range(5):
        with pytest.raises(ValueError):
            with dbguard.breaker(conn, "k", ignore=(ValueError,)):
                raise ValueError("caller's own bad input")
    assert state(conn, "k") == ("closed", 0, 0)


def test_client_refuses_a_connection_inside_a_transaction(conn):
    conn.execute("SELECT 1")
    with pytest.raises(DbguardError, match="outside a transaction"):
        with dbguard.breaker(conn, "k"):
            pass


def test_cli_breaker_status_and_reset(conn, dsn):
    open_breaker(conn, "calcom")
    conn.commit()
    run = lambda *a: subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    status = run("breaker", "--json")
    assert status.returncode == 0, status.stderr
    assert '"state": "open"' in status.stdout and '"key": "calcom"' in status.stdout
    assert "calcom  open" in run("breaker").stdout
    assert '"state": "open"' in run("breaker", "status", "--key", "calcom", "--json").stdout
    reset = run("breaker", "reset", "calcom")
    assert reset.returncode == 0 and "calcom: closed" in reset.stdout
    assert state(conn, "calcom") == ("closed", 0, 0)
    assert transitions(conn, "calcom")[-1][:3] == ("open", "closed", "reset")
    unknown = run("breaker", "reset", "nope")
    assert unknown.returncode == 2 and "no circuit breaker 'nope'" in unknown.stderr
    configured = run("breaker", "configure", "calcom", "--failure-threshold", "5", "--cooldown", "1 minute")
    assert configured.returncode == 0, configured.stderr
    assert conn.execute("SELECT failure_threshold, cooldown FROM dbguard.circuit_breaker_states "
                        "WHERE key = 'calcom'").fetchone() == (5, timedelta(minutes=1))


def test_circuit_breakers_view_measures_outages_and_recovery(conn, circuit_breakers_view):
    open_breaker(conn, "calcom")            # open at t=0.2
    allow(conn, "calcom", 31)
    success(conn, "calcom", 32)
    allow(conn, "calcom", 33)
    success(conn, "calcom", 40.2)          # closed at 40.2: recovery 40 s
    open_breaker(conn, "retell", 100)       # open since t=100.2, still open
    row = conn.execute(
        """SELECT state, times_opened, recoveries, last_recovery_seconds, avg_recovery_seconds,
                  last_transition, last_transition_reason, current_outage_since
             FROM dbguard_audit.circuit_breakers WHERE key = 'calcom'""").fetchone()
    assert row == ("closed", 1, 1, 40, 40, "half_open -> closed", "recovered", None)
    row = conn.execute(
        """SELECT state, consecutive_failures, times_opened, recoveries, current_outage_since, trial_possible_at,
                  last_error
             FROM dbguard_audit.circuit_breakers WHERE key = 'retell'""").fetchone()
    assert row == ("open", 3, 1, 0, at(100.2), at(130.2), "boom")


def test_concurrent_mixed_reports_keep_the_transition_chain_consistent(conn, dsn):
    import random
    conn.execute("SELECT dbguard.breaker_configure('k', 2, '1 second', 2, '1 second')")
    conn.commit()
    clock = iter(range(10**6))
    lock = threading.Lock()

    def work(c):
        rng = random.Random()
        for _ in range(20):
            with lock:
                t = next(clock) * 0.25
            if allow(c, "k", t):
                (success if rng.random() < 0.5 else failure)(c, "k", t + 0.1)
        return True

    assert _concurrently(dsn, 10, work) == [True] * 10
    chain = transitions(conn, "k")
    assert chain, "the breaker opened at least once"
    assert chain[0][0] == "closed"
    for before, after in zip(chain, chain[1:]):
        assert after[0] == before[1], f"{before} then {after}"
    assert state(conn, "k")[0] == chain[-1][1]
