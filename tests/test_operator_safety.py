"""Operator safety: one reconcile per rule and one backfill per kind at a time; a rollback
that checks everything before it changes anything and never drops a table with rows;
rule modes that survive a rollback and a new migrate."""

from __future__ import annotations

import threading

import psycopg
import pytest

import dbguard
from dbguard import locks, migrator
from dbguard.errors import MigrationFailed
from tests.legacy_data import inject

quiet = {"notify": lambda _msg: None}


def test_two_reconciles_of_one_rule_at_once_repair_once_and_the_second_changes_nothing(conn, connect):
    legacy = inject(conn)
    conn.commit()
    phantoms = {e for r, e in legacy.expected if r == "phantom_booking"}
    started, release = threading.Event(), threading.Event()
    first: list = []

    def hold_after_counting(rule, found):
        started.set()
        release.wait(30)

    def run_first():
        first.extend(dbguard.reconcile(connect(autocommit=True), rules=["phantom_booking"],
                                       on_rule=hold_after_counting))

    worker = threading.Thread(target=run_first)
    worker.start()
    try:
        assert started.wait(30)
        with pytest.raises(locks.Busy) as busy:
            dbguard.reconcile(connect(autocommit=True), rules=["phantom_booking"])
    finally:
        release.set()
        worker.join(60)
    assert "another dbguard reconcile of phantom_booking is running" in str(busy.value)
    assert "server process" in str(busy.value) and "changed nothing" in str(busy.value)
    assert first[0].fixed == len(phantoms)
    # The lock went with the run: the next one proceeds and finds nothing left.
    assert dbguard.reconcile(connect(autocommit=True), rules=["phantom_booking"])[0].found == 0


def test_a_reconcile_of_other_rules_is_not_held_up_by_a_running_one(conn, connect):
    with locks.exclusive(connect(autocommit=True), "reconcile", ["phantom_booking"]):
        result = dbguard.reconcile(connect(autocommit=True), rules=["call_missing_direction"])
        assert [r.rule for r in result] == ["call_missing_direction"]
        assert dbguard.reconcile(connect(autocommit=True), rules=["phantom_booking"], dry_run=True)


def test_a_second_backfill_of_one_kind_stops_with_a_clear_message_and_the_lock_goes_with_the_first(conn, connect):
    holder = connect(autocommit=True)
    with locks.exclusive(holder, "backfill", ["appointments"]):
        with pytest.raises(locks.Busy, match="another dbguard backfill of appointments is running"):
            dbguard.backfill_appointments(connect())
        assert dbguard.backfill_metadata(connect()).errors == 0  # another kind runs
    assert dbguard.backfill_appointments(connect()).errors == 0


def test_the_cli_exits_non_zero_with_one_line_when_a_reconcile_is_running(conn, dsn, connect):
    import subprocess
    import sys

    with locks.exclusive(connect(autocommit=True), "reconcile", ["phantom_booking"]):
        done = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "reconcile", "--rule", "phantom_booking"],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "another dbguard reconcile of phantom_booking is running" in done.stderr
    assert "Traceback" not in done.stderr


def _state(dsn: str) -> tuple:
    with psycopg.connect(dsn) as c:
        return (c.execute("SELECT count(*) FROM public._yoyo_migration").fetchone()[0],
                c.execute("SELECT count(*) FROM dbguard.installed_rules").fetchone()[0],
                c.execute("SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname LIKE 'dbguard%'").fetchone()[0])


def test_rollback_all_with_data_refuses_up_front_naming_every_table_and_its_rows(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("INSERT INTO public.companies (name) VALUES ('Acme'), ('Other')")
        c.execute("SELECT dbguard.enqueue_review(NULL, 'service_not_found', '{}'::jsonb)")
        c.execute("SELECT dbguard.breaker_record_failure('calcom', 'timeout')")
        c.execute("SELECT dbguard.raise_alert('x', 'warning', 'call', '1', 'test', '{}'::jsonb, 'scan', false, 'x')")
        c.execute("UPDATE dbguard.rule_settings SET mode = 'alert' WHERE rule = 'outcome_flag_sync'")
    before = _state(dsn)

    with pytest.raises(MigrationFailed) as err:
        dbguard.rollback(dsn, count=None, **quiet)

    message = str(err.value)
    assert "nothing was changed" in message
    for table, rows in [("public.companies", 2), ("dbguard.manual_review_queue", 1),
                        ("dbguard.data_consistency_alerts", 1), ("dbguard.circuit_breaker_states", 1)]:
        assert f"{table} (dropped by " in message and f"has rows ({rows})" in message, table
    assert "dbguard.rule_settings" in message and "outcome_flag_sync alert" in message
    assert _state(dsn) == before, "no migration rolled back, no rule uninstalled"
    dry = dbguard.rollback(dsn, count=None, dry_run=True, **quiet)
    assert any("public.companies" in b for b in dry.blockers)


def test_rollback_refuses_a_table_that_a_view_outside_dbguard_reads(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute("CREATE VIEW public.my_alerts AS SELECT id FROM dbguard.data_consistency_alerts")
    before = _state(blank_dsn)
    with pytest.raises(MigrationFailed, match="view public.my_alerts reads dbguard.data_consistency_alerts"):
        dbguard.rollback(blank_dsn, count=None, **quiet)
    assert _state(blank_dsn) == before


@pytest.mark.slow
def test_rule_modes_survive_a_rollback_past_the_rule_and_a_new_migrate(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    ids = [m.id for m in migrator.load_migrations()]
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        dbguard.set_mode(c, "outcome_flag_sync", "alert")
        dbguard.set_mode(c, "lead_rollup", "enforce")

    rolled = dbguard.rollback(blank_dsn, count=len(ids) - ids.index("0102_rule_outcome_flag_sync_v1"), **quiet)
    assert rolled.rolled_back[-1] == "0102_rule_outcome_flag_sync_v1"
    with psycopg.connect(blank_dsn) as c:
        assert c.execute("SELECT count(*) FROM dbguard.installed_rules WHERE rule IN "
                         "('outcome_flag_sync', 'lead_rollup')").fetchone()[0] == 0
    dbguard.migrate(blank_dsn, **quiet)

    with psycopg.connect(blank_dsn) as c:
        modes = dict(c.execute("SELECT rule, mode FROM dbguard.rule_status").fetchall())
    assert modes["outcome_flag_sync"] == "alert" and modes["lead_rollup"] == "enforce"
    assert modes["customer_link_sync"] == "correct"


@pytest.mark.slow
def test_a_migration_waiting_for_a_lock_steps_back_so_other_writers_pass(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    last = dbguard.rollback(blank_dsn, count=1, **quiet).rolled_back[0]  # re-creates triggers on calls
    long_tx = psycopg.connect(blank_dsn)
    long_tx.execute("UPDATE public.calls SET booking_details = booking_details WHERE false")  # a writer that stays open
    migrated: list = []
    failed: list = []

    def run_migrate():
        try:
            migrated.extend(dbguard.migrate(blank_dsn, lock_timeout="2min", **quiet).applied)
        except Exception as exc:  # reported below
            failed.append(exc)

    migrator_thread = threading.Thread(target=run_migrate)
    migrator_thread.start()
    try:
        with psycopg.connect(blank_dsn, autocommit=True) as watch:
            for _ in range(600):
                if watch.execute("""SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                                     AND application_name = 'dbguard migrate' AND wait_event_type = 'Lock'""").fetchone()[0]:
                    break
                threading.Event().wait(0.05)
            else:
                pytest.fail("the migration never waited for its lock")
        writer_done = threading.Event()

        def write():
            with psycopg.connect(blank_dsn, autocommit=True) as writer:
                writer.execute("INSERT INTO public.calls DEFAULT VALUES")
            writer_done.set()

        writer_thread = threading.Thread(target=write, daemon=True)
        writer_thread.start()
        # The writer gets through while the long transaction is still open and the
        # migration is still trying (a migration waiting in one piece would hold it
        # up for as long as the long transaction lasts).
        assert writer_done.wait(60), "a writer queued behind the waiting migration"
        assert migrator_thread.is_alive() and not migrated
    finally:
        long_tx.rollback()
        long_tx.close()
        migrator_thread.join(120)
    assert not failed, failed
    assert migrated == [last]
