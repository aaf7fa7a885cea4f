"""A database dbguard was never migrated into: every command that needs dbguard says
so and how to fix it, instead of blaming a rule file or printing a raw SQL error."""

from __future__ import annotations

import psycopg
import pytest

from dbguard.alerts import alerts, alerts_resolve
from dbguard.backfill import backfill
from dbguard.connection import NOT_INSTALLED, NotInstalled, is_installed, require_installed
from dbguard.errors import DbguardError
from dbguard.readiness import readiness
from dbguard.roles import roles
from dbguard.rules import set_mode
from tests.cli_run import in_process


@pytest.mark.parametrize("args", [
    ["check"], ["check", "--rule", "phantom_booking"], ["reconcile"], ["reconcile", "--dry-run"], ["report"],
    ["metrics"], ["review"], ["review", "start", "1"], ["breaker"], ["breaker", "reset", "calcom"],
    ["watch", "--timeout", "5"], ["rules"], ["rules", "set-mode", "call_direction_default", "alert"],
    ["rules", "reinstall", "call_direction_default"], ["backfill", "metadata"], ["roles", "--app-role", "x"],
    ["alerts"], ["alerts", "resolve", "1", "--note", "x"], ["rules", "readiness"],
])
def test_a_never_migrated_database_says_run_dbguard_migrate(capsys, blank_dsn, args):
    result = in_process(capsys, "--dsn", blank_dsn, *args)
    assert result.code == 2
    assert result.err == f"dbguard: error: {NOT_INSTALLED}\n"
    assert "listening" not in result.err


def test_status_works_on_a_never_migrated_database_and_lists_everything_pending(capsys, blank_dsn):
    result = in_process(capsys, "--dsn", blank_dsn, "status")
    assert result.code == 0, result.err
    assert "PENDING" in result.out and "run dbguard migrate" in result.out


@pytest.mark.parametrize("call", [
    lambda conn: alerts(conn),
    lambda conn: alerts_resolve(conn, alert_id=1, note="done"),
    lambda conn: readiness(conn),
    lambda conn: set_mode(conn, "call_direction_default", "alert"),
    lambda conn: roles(conn, app="dbguard_never_created_app"),
    lambda conn: backfill(conn, "metadata"),
], ids=["alerts", "alerts_resolve", "readiness", "set_mode", "roles", "backfill"])
def test_library_functions_say_run_dbguard_migrate_with_one_message(blank_dsn, call):
    with psycopg.connect(blank_dsn) as conn:
        with pytest.raises(DbguardError) as raised:
            call(conn)
        assert str(raised.value) == NOT_INSTALLED
        conn.rollback()
        assert not conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'dbguard_never_created_app'"
                                ).fetchone()[0]


def test_the_installed_check_leaves_a_callers_open_transaction_alone(blank_dsn):
    with psycopg.connect(blank_dsn) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        assert not is_installed(conn)
        with pytest.raises(NotInstalled):
            require_installed(conn)
        conn.commit()
        assert conn.execute("SELECT to_regclass('kept') IS NOT NULL").fetchone()[0]
