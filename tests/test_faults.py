"""Faults: a migration, a reconcile and a backfill killed midway (their backend
terminated with pg_terminate_backend while they run) leave no partial state,
and the next run completes without duplicates.

Also covered elsewhere: a stale yoyo lock row and a killed migrator's advisory
lock (tests/test_migrations.py::test_stale_yoyo_lock_row_of_a_killed_migrator_does_not_block,
::test_killed_migrator_leaves_no_advisory_lock), lock_timeout giving up behind a
long transaction (::test_lock_timeout_gives_up_behind_a_long_transaction_and_keeps_nothing).
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

import dbguard
from dbguard.repeatable import Rule

quiet = {"notify": lambda _msg: None}
STALE = "body of an older release"


def _blocked_by(monitor: psycopg.Connection, holder_pid: int, timeout: float = 30.0) -> int:
    """The pid of the backend waiting for a lock ``holder_pid`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = monitor.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                              (holder_pid,)).fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    raise AssertionError(f"nothing waited for backend {holder_pid} within {timeout} s")


def _in_thread(work) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run():
        try:
            work()
        except BaseException as exc:  # examined by the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _rule_state(dsn: str) -> tuple:
    """(recorded source checksum of lead_rollup, a function body replaced by hand is there)."""
    with psycopg.connect(dsn) as c:
        return (
            c.execute("SELECT source_sha256 FROM dbguard.installed_rules WHERE rule = 'lead_rollup'").fetchone()[0],
            STALE in c.execute("SELECT prosrc FROM pg_proc WHERE proname = 'tg_appointments__lead_rollup'"
                               ).fetchone()[0],
        )


@pytest.mark.slow
def test_a_migration_killed_while_waiting_for_its_lock_leaves_nothing_and_the_next_run_completes(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        # What an older release left: another body and another recorded source; migrate re-installs the rule.
        c.execute(f"""CREATE OR REPLACE FUNCTION dbguard.tg_appointments__lead_rollup() RETURNS trigger
                      LANGUAGE plpgsql AS $$ BEGIN /* {STALE} */ RETURN NEW; END $$""")
        c.execute("UPDATE dbguard.installed_rules SET source_sha256 = 'older' WHERE rule = 'lead_rollup'")
    assert _rule_state(blank_dsn) == ("older", True)

    holder = psycopg.connect(blank_dsn)
    holder.execute("LOCK TABLE public.appointments IN ROW EXCLUSIVE MODE")  # a writer's lock, held
    thread, errors = _in_thread(lambda: dbguard.migrate(blank_dsn, lock_timeout="60s", **quiet))
    with psycopg.connect(blank_dsn, autocommit=True) as monitor:
        migrating = _blocked_by(monitor, holder.info.backend_pid)
        assert "lead_rollup" in monitor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s",
                                                     (migrating,)).fetchone()[0]
        assert monitor.execute("SELECT pg_terminate_backend(%s)", (migrating,)).fetchone()[0]
    thread.join(60)
    assert errors, "the killed migration must fail"
    holder.rollback()
    holder.close()

    # the install's transaction died with its backend: the old rule, still recorded as the old one
    assert _rule_state(blank_dsn) == ("older", True)
    result = dbguard.migrate(blank_dsn, **quiet)
    assert result.reinstalled == ["rule lead_rollup"]
    assert _rule_state(blank_dsn) == (Rule.load("lead_rollup").checksum, False)


def _claims_without_appointment(conn: psycopg.Connection, n: int) -> list[int]:
    """Confirmed calls without appointment, written past the triggers (legacy data)."""
    conn.execute("SET session_replication_role = replica")
    ids = [r[0] for r in conn.execute(
        "INSERT INTO public.calls (booking_confirmed, appointment_made, session_outcome) "
        "SELECT true, true, 'appointment_booked' FROM generate_series(1, %s) RETURNING id", (n,))]
    conn.execute("SET session_replication_role = origin")
    conn.commit()
    return ids


def test_a_reconcile_killed_between_batches_resumes_without_duplicate_reviews(conn, dsn, connect):
    calls = _claims_without_appointment(conn, 50)
    worker = connect(autocommit=True)
    batches = []

    def kill_after_two_batches(_n: int) -> None:
        batches.append(_n)
        if len(batches) == 2:
            with psycopg.connect(dsn, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (worker.info.backend_pid,))

    with pytest.raises(psycopg.OperationalError):
        dbguard.reconcile(worker, rules=["confirmed_without_appointment"], batch_size=10,
                          progress=kill_after_two_batches)

    # two batches committed, the third died with the backend: nothing of it kept
    rolled_back = conn.execute("SELECT count(*) FROM public.calls WHERE NOT booking_confirmed").fetchone()[0]
    assert rolled_back == 20
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue").fetchone()[0] == 20
    conn.commit()

    stats = dbguard.reconcile(connect(autocommit=True), rules=["confirmed_without_appointment"], batch_size=10)
    assert stats[0].found == 30 and stats[0].fixed == 30 and stats[0].remaining == 0
    per_call = conn.execute("SELECT call_id, count(*) FROM dbguard.manual_review_queue GROUP BY call_id").fetchall()
    assert sorted(c for c, _ in per_call) == calls and {n for _, n in per_call} == {1}
    # nothing deleted
    assert conn.execute("SELECT count(*) FROM public.calls").fetchone()[0] == 50
    assert dbguard.check(conn, record=False, limit=0, rules=["confirmed_without_appointment"]).total == 0


def test_a_backfill_killed_midway_resumes_and_creates_each_appointment_once(conn, dsn, connect):
    conn.execute("INSERT INTO public.leads (company_id, appointment_start_at, appointment_end_at, appointment_status) "
                 "SELECT 1, now() + g * interval '1 day', now() + g * interval '1 day' + interval '30 min', "
                 "'scheduled' FROM generate_series(1, 30) g")
    conn.commit()
    holder = connect()
    holder.execute("SELECT 1 FROM public.leads WHERE id = 25 FOR UPDATE")  # batch 3 will wait for it
    worker = connect(autocommit=True)
    thread, errors = _in_thread(lambda: dbguard.backfill(worker, "lead-history", batch_size=10))
    with psycopg.connect(dsn, autocommit=True) as monitor:
        assert _blocked_by(monitor, holder.info.backend_pid) == worker.info.backend_pid
        monitor.execute("SELECT pg_terminate_backend(%s)", (worker.info.backend_pid,))
    thread.join(60)
    assert errors and isinstance(errors[0], psycopg.OperationalError), errors
    holder.rollback()

    # batches 1 and 2 committed; nothing of batch 3
    assert conn.execute("SELECT count(*), count(DISTINCT lead_id), max(lead_id) FROM public.appointments"
                        ).fetchone() == (20, 20, 20)
    conn.commit()

    result = dbguard.backfill(connect(autocommit=True), "lead-history", batch_size=10)
    assert (result.created, result.errors) == (10, 0), result.problems
    per_lead = conn.execute("SELECT lead_id, count(*) FROM public.appointments GROUP BY lead_id").fetchall()
    assert len(per_lead) == 30 and {n for _, n in per_lead} == {1}
    assert conn.execute("SELECT count(*) FROM public.leads WHERE appointment_id IS NULL").fetchone()[0] == 0
