"""Migrations: idempotent, reversible, safe to run on a live database."""

from __future__ import annotations

import psycopg
import pytest

import dbguard
from dbguard import migrator
from dbguard.errors import MigrationFailed

from .catalog import diff, snapshot

quiet = {"notify": lambda _msg: None}


def _catalog(dsn: str) -> dict:
    with psycopg.connect(dsn) as conn:
        return snapshot(conn)


def test_migrate_twice_is_a_noop(blank_dsn):
    first = dbguard.migrate(blank_dsn, **quiet)
    assert first.applied == [m.id for m in migrator.load_migrations()]
    before = _catalog(blank_dsn)

    second = dbguard.migrate(blank_dsn, **quiet)

    assert second.applied == [] and second.reinstalled == []
    assert diff(before, _catalog(blank_dsn)) == []


@pytest.mark.slow
def test_rollback_all_then_migrate_gives_the_same_catalog(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    once = _catalog(blank_dsn)

    rolled = dbguard.rollback(blank_dsn, count=None, **quiet)
    assert rolled.rolled_back == [m.id for m in reversed(migrator.load_migrations())]
    emptied = _catalog(blank_dsn)
    assert not [t for t in emptied["tables"] if t.startswith("dbguard.")]
    assert "public.calls" not in emptied["tables"]

    dbguard.migrate(blank_dsn, **quiet)
    assert diff(once, _catalog(blank_dsn)) == []


@pytest.mark.slow
def test_each_migration_rolls_back_cleanly_one_at_a_time(blank_dsn):
    ids = [m.id for m in migrator.load_migrations()]
    dbguard.migrate(blank_dsn, **quiet)
    for expected in reversed(ids):
        assert dbguard.rollback(blank_dsn, count=1, **quiet).rolled_back == [expected]
    assert dbguard.rollback(blank_dsn, count=1, **quiet).rolled_back == []


def test_dry_run_prints_the_sql_and_changes_nothing(blank_dsn):
    before = _catalog(blank_dsn)

    result = dbguard.migrate(blank_dsn, dry_run=True)

    assert result.applied == [m.id for m in migrator.load_migrations()]
    text = "\n".join(result.sql)
    assert "CREATE TABLE IF NOT EXISTS public.calls" in text
    assert "CREATE OR REPLACE FUNCTION dbguard.tg_calls__booking_requires_appointment()" in text
    # compiled rules: their fragments, then the compiler assembles the functions
    assert "INSERT INTO dbguard.rule_fragments" in text and "SELECT dbguard.compile_rules();" in text
    assert diff(before, _catalog(blank_dsn)) == []


def test_rollback_dry_run_prints_revert_sql_and_changes_nothing(dsn):
    last = migrator.load_migrations()[-1]
    before = _catalog(dsn)

    result = dbguard.rollback(dsn, count=1, dry_run=True)

    assert result.rolled_back == [last.id]
    assert "\n".join(migrator.migration_sql(last, "rollback")) in result.sql[0]
    assert diff(before, _catalog(dsn)) == []


def test_migration_edited_after_apply_is_reported(conn):
    # Simulates the file changing: the stored checksum no longer matches the shipped content.
    conn.execute("UPDATE dbguard.migration_checksums SET checksum = 'old' WHERE migration_id = '0001_baseline'")
    conn.commit()

    report = dbguard.status(conn)

    assert {m["id"]: m["checksum"] for m in report["migrations"]}["0001_baseline"] == "modified"
    assert any("0001_baseline was edited" in p for p in report["problems"])
    assert report["ok"] is False


@pytest.mark.slow
def test_stale_yoyo_lock_row_of_a_killed_migrator_does_not_block(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    dbguard.rollback(blank_dsn, count=1, **quiet)
    with psycopg.connect(blank_dsn, autocommit=True) as other:
        other.execute("INSERT INTO dbguard.yoyo_lock (locked, ctime, pid) VALUES (1, now(), 999999)")

    assert dbguard.migrate(blank_dsn, **quiet).applied == [migrator.load_migrations()[-1].id]


def test_killed_migrator_leaves_no_advisory_lock(blank_dsn):
    holder = psycopg.connect(blank_dsn, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", (migrator.ADVISORY_LOCK_KEY,))
    pid = holder.info.backend_pid
    with psycopg.connect(blank_dsn, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
    holder.close()

    assert len(dbguard.migrate(blank_dsn, **quiet).applied) == len(migrator.load_migrations())


@pytest.mark.slow
def test_lock_timeout_gives_up_behind_a_long_transaction_and_keeps_nothing(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE public.calls (id bigserial PRIMARY KEY, retell_call_id text)")
    long_tx = psycopg.connect(blank_dsn)
    long_tx.execute("SELECT * FROM public.calls")  # holds ACCESS SHARE until commit

    with pytest.raises(MigrationFailed) as err:
        dbguard.migrate(blank_dsn, lock_timeout="300ms", **quiet)

    assert "0001_baseline" in str(err.value)
    assert "lock" in str(err.value)
    with psycopg.connect(blank_dsn) as check:
        cols = {r[0] for r in check.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'calls'")}
        assert cols == {"id", "retell_call_id"}, "the failed migration must leave nothing behind"
        assert check.execute("SELECT to_regclass('public.appointments')").fetchone()[0] is None
    long_tx.close()

    assert "0001_baseline" in dbguard.migrate(blank_dsn, **quiet).applied


@pytest.mark.slow
def test_duplicate_provider_keys_are_refused_before_anything_is_applied_and_leave_no_invalid_index(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE public.calls (id bigserial PRIMARY KEY, retell_call_id text)")
        setup.execute("INSERT INTO public.calls (retell_call_id) VALUES ('call_A'), ('call_A'), ('call_B')")

    with pytest.raises(MigrationFailed) as err:
        dbguard.migrate(blank_dsn, **quiet)

    message = str(err.value)
    assert "preflight" in message and "nothing was applied" in message
    assert "public.calls.retell_call_id" in message and "call_A in rows 1, 2" in message
    assert "Fix: list them with" in message
    with psycopg.connect(blank_dsn, autocommit=True) as fix:
        assert fix.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()[0] == 0
        assert fix.execute("SELECT to_regnamespace('dbguard')").fetchone()[0] is None
        fix.execute("UPDATE public.calls SET retell_call_id = 'call_A2' WHERE id = 2")

    result = dbguard.migrate(blank_dsn, **quiet)
    assert result.applied == [m.id for m in migrator.load_migrations()]
    with psycopg.connect(blank_dsn) as check:
        assert check.execute("SELECT count(*) FROM public.calls").fetchone()[0] == 3


@pytest.mark.slow
def test_interrupted_concurrent_index_build_is_rebuilt(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    with psycopg.connect(blank_dsn, autocommit=True) as conn:
        # What a killed CREATE INDEX CONCURRENTLY leaves behind.
        conn.execute("UPDATE pg_index SET indisvalid = false "
                     "WHERE indexrelid = 'public.dbguard_calls_created_at_idx'::regclass")
        conn.execute("DELETE FROM dbguard._yoyo_migration WHERE migration_id = '0002_baseline_indexes'")

    dbguard.migrate(blank_dsn, **quiet)

    with psycopg.connect(blank_dsn) as conn:
        assert conn.execute("SELECT indisvalid FROM pg_index "
                            "WHERE indexrelid = 'public.dbguard_calls_created_at_idx'::regclass").fetchone()[0]


def test_status_reads_every_migration_without_parsing_sql_through_sqlparse(conn, monkeypatch):
    import sqlparse

    def refuse(*_args, **_kwargs):
        raise AssertionError("sqlparse used on the status path")

    for name in ("split", "format", "parse", "parsestream"):
        monkeypatch.setattr(sqlparse, name, refuse)
    migrator._read_plan.cache_clear()

    report = dbguard.status(conn)

    assert report["pending"] == [] and all(m["checksum"] == "ok" for m in report["migrations"])
