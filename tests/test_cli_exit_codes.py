"""Exit codes, the same for every command: 0 clean, 1 found at or above the chosen
severity, 2 usage, connection, database or internal error -- and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli_run import in_process, subprocess_run, watch_one_alert
from tests.legacy_data import call, insert


@pytest.fixture
def cli(capsys, dsn):
    return lambda *args: in_process(capsys, "--dsn", dsn, *args)


def test_check_exits_1_for_a_violation_at_or_above_fail_on_and_0_below_it(conn, cli):
    clean = cli("check")
    assert clean.code == 0, clean.err
    conn.execute("SET session_replication_role = replica")
    company = insert(conn, "companies", name="c")
    call(conn, company, direction=None)  # call_missing_direction: warning
    conn.commit()
    assert cli("check").code == 1, "a warning fails the default --fail-on warning"
    assert cli("check", "--fail-on", "warning").code == 1
    assert cli("check", "--fail-on", "info").code == 1
    assert cli("check", "--fail-on", "critical").code == 0
    call(conn, company, session_outcome="appointment_booked")  # phantom_booking: critical
    conn.commit()
    critical = cli("check", "--fail-on", "critical", "--json")
    assert critical.code == 1, critical.err
    assert json.loads(critical.out)["critical"] == 1
    assert cli("check", "--rule", "call_missing_direction", "--fail-on", "critical").code == 0, \
        "only the rules that ran count"


def test_check_fails_on_the_count_not_on_the_listed_offenders(conn, cli):
    conn.execute("SET session_replication_role = replica")
    call(conn, insert(conn, "companies", name="c"), direction=None)
    conn.commit()
    assert cli("check", "--limit", "0").code == 1


@pytest.mark.parametrize("args", [
    ["check", "--since", "1 fortnight"],
    ["check", "--since", "99999999999h"],
    ["check", "--since", "36501d"],
    ["check", "--rule", "no_such_rule"],
    ["check", "--fail-on", "error"],
    ["check", "--limit", "-1"],
    ["check", "--limit", "99999999999999999999"],
    ["reconcile", "--batch-size", "0"],
    ["reconcile", "--rule", "no_such_rule"],
    ["report", "--date", "0001-01-01"],
    ["report", "--date", "9999-12-31"],
    ["report", "--date", "10.01.2026"],
    ["report", "--format", "pdf"],
    ["rules", "set-mode", "no_such_rule", "alert"],
    ["rules", "set-mode", "call_direction_default", "loud"],
    ["rules", "reinstall", "no_such_rule"],
    ["review", "resolve", "999999", "--note", "x"],
    ["review", "resolve", "1"],
    ["review", "resolve", "99999999999999999999", "--note", "x"],
    ["review", "--limit", "-5"],
    ["review", "--call-id", "99999999999999999999"],
    ["rollback", "--count", "0"],
    ["migrate", "--lock-timeout", "abc"],
    ["breaker", "configure", "calcom", "--failure-threshold", "99999999999"],
    ["breaker", "reset", "no_such_breaker"],
    ["backfill", "everything"],
    ["watch", "--count", "-1"],
    ["render", "--view", "no_such_view"],
    ["roles"],
    ["no-such-command"],
    ["status", "--no-such-option"],
])
def test_usage_errors_exit_2_with_a_message_and_no_traceback(cli, args):
    result = cli(*args)
    assert result.code == 2, (result.out, result.err)
    assert result.err.strip() and "Traceback" not in result.err


@pytest.mark.parametrize("args", [
    ["status"], ["rules"], ["review"], ["breaker"], ["metrics"], ["report"], ["report", "--date", "1900-01-01"],
    ["check", "--since", "36500d"], ["reconcile", "--dry-run"], ["backfill", "metadata", "--dry-run"],
    ["rollback", "--dry-run"], ["migrate"], ["render", "--view", "review_queue"],
    ["watch", "--timeout", "0.1"],
])
def test_commands_that_did_their_work_exit_0(cli, args):
    result = cli(*args)
    assert result.code == 0, (result.out, result.err)


def test_status_check_exits_1_when_something_needs_attention(capsys, blank_dsn, dsn):
    assert in_process(capsys, "--dsn", dsn, "status", "--check").code == 0
    pending = in_process(capsys, "--dsn", blank_dsn, "status", "--check")
    assert pending.code == 1 and "pending" in pending.out


def test_watch_exits_1_only_for_an_alert_at_or_above_fail_on(dsn, connect):
    alert = "SELECT dbguard.raise_alert('call_missing_direction', 'warning', 'calls', '7', 'x')"
    default = watch_one_alert(dsn, connect, alert)
    assert (default.code, "call_missing_direction" in default.out) == (1, True), default.err
    assert watch_one_alert(dsn, connect, alert, (), "--fail-on", "critical").code == 0


def test_an_unwritable_output_file_is_a_one_line_error_not_a_bug_report(capsys, tmp_path):
    result = in_process(capsys, "render", "-o", str(tmp_path / "no_such_dir" / "views.sql"))
    assert result.code == 2
    assert result.err == f"dbguard: error: No such file or directory: {tmp_path / 'no_such_dir' / 'views.sql'}\n"


def test_a_connection_failure_exits_2_in_one_line():
    result = subprocess_run("--dsn", "postgresql://nobody@127.0.0.1:1/nothing", "check")
    assert result.code == 2
    assert result.err.startswith("dbguard: error: cannot connect to") and len(result.err.splitlines()) == 1


def test_an_unexpected_exception_is_one_line_asking_for_a_report_and_exit_2():
    program = ("import sys\n"
               "from dbguard.cli import cli, main\n"
               "@cli.command('explode')\n"
               "def explode():\n"
               "    raise ZeroDivisionError('division by zero')\n"
               "sys.exit(main(['explode']))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "dbguard: internal error: ZeroDivisionError: division by zero -- this is a bug in dbguard, please "
        "report it with the command you ran (DBGUARD_DEBUG=1 shows the traceback)"]
