"""A database dbguard was never migrated into: every command that needs dbguard says
so and how to fix it, instead of blaming a rule file or printing a raw SQL error."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.cli_run import in_process


@pytest.mark.parametrize("args", [
    ["check"], ["check", "--rule", "phantom_booking"], ["reconcile"], ["reconcile", "--dry-run"], ["report"],
    ["metrics"], ["review"], ["review", "start", "1"], ["breaker"], ["breaker", "reset", "calcom"],
    ["watch", "--timeout", "5"], ["rules"], ["rules", "set-mode", "call_direction_default", "alert"],
    ["rules", "reinstall", "call_direction_default"], ["backfill", "metadata"], ["roles", "--app-role", "x"],
])
def test_a_never_migrated_database_says_run_dbguard_migrate(capsys, blank_dsn, args):
    result = in_process(capsys, "--dsn", blank_dsn, *args)
    database = conninfo_to_dict(blank_dsn)["dbname"]
    assert result.code == 2
    assert result.err == f"dbguard: error: dbguard is not installed in database {database}: run `dbguard migrate`\n"
    assert "listening" not in result.err


def test_status_works_on_a_never_migrated_database_and_lists_everything_pending(capsys, blank_dsn):
    result = in_process(capsys, "--dsn", blank_dsn, "status")
    assert result.code == 0, result.err
    assert "PENDING" in result.out and "run dbguard migrate" in result.out
