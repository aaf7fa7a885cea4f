"""`dbguard schedule`: crontab lines and systemd timers for check, reconcile, the
report and the metrics; the check as a pg_cron job where the extension is there."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

import dbguard
from dbguard import schedule
from dbguard.errors import DbguardError
from tests.legacy_data import inject


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("period, cron, calendar", [
    ("15m", "*/15 * * * *", "*-*-* *:00/15:00 UTC"),
    ("1m", "* * * * *", "*-*-* *:00/1:00 UTC"),
    ("60m", "0 * * * *", "*-*-* 00/1:00:00 UTC"),
    ("6h", "0 */6 * * *", "*-*-* 00/6:00:00 UTC"),
    ("24h", "0 0 * * *", "*-*-* 00:00:00 UTC"),
])
def test_periods_become_the_same_schedule_for_cron_and_systemd(period, cron, calendar):
    every = schedule.parse_every(period)
    assert (every.cron(), every.on_calendar()) == (cron, calendar)


@pytest.mark.parametrize("period", ["7m", "5h", "0m", "15", "every hour"])
def test_a_period_cron_cannot_repeat_evenly_is_refused(period):
    with pytest.raises(DbguardError, match="invalid period"):
        schedule.parse_every(period)


def test_without_pg_cron_every_job_is_printed_for_cron_and_systemd(dsn, conn):
    if schedule.pg_cron_status(conn) is None:
        pytest.skip("pg_cron is installed in the test database: the host-only path is not taken")
    result = run_cli("--dsn", dsn, "schedule", "--check", "10m", "--report-at", "05:30")
    assert result.returncode == 0, result.stderr
    assert "pg_cron: " in result.stderr and "printing host scheduler lines for every job" in result.stderr
    cron = [line for line in result.stdout.splitlines() if line[:1].isdigit() or line.startswith("*")]
    assert [" ".join(line.split()[:5]) for line in cron] == [
        "*/10 * * * *", "30 * * * *", "30 5 * * *", "*/5 * * * *"]
    for name, words in (("check", "check --json"), ("reconcile", "reconcile --no-progress"),
                        ("report", "report --format html -o /var/lib/dbguard/report.html"),
                        ("metrics", "metrics -o /var/lib/prometheus/node-exporter/dbguard.prom")):
        assert any(words in line for line in cron), name
        assert f"# /etc/systemd/system/dbguard-{name}.timer" in result.stdout
    assert "OnCalendar=*-*-* 05:30:00 UTC" in result.stdout
    assert "systemctl enable --now dbguard-check.timer dbguard-reconcile.timer" in result.stdout


def test_metrics_off_leaves_the_metrics_job_out():
    names = [j.name for j in schedule.jobs(metrics=None)]
    assert names == ["check", "reconcile", "report"]
    text = schedule.crontab(schedule.jobs(metrics=None), ("/usr/bin/dbguard",))
    assert "metrics" not in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_every_timer_schedule():
    for job in schedule.jobs(check="5m", reconcile="2h", report_at="23:59"):
        result = subprocess.run(["systemd-analyze", "calendar", job.every.on_calendar()],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr


def test_the_scheduled_check_sql_records_and_resolves_scan_alerts_as_dbguard_check_does(conn, connect):
    legacy = inject(conn)
    job = schedule.check_job_sql()
    conn.execute(job)
    conn.commit()
    scan = set(conn.execute("""SELECT alert_type, entity_id FROM dbguard.data_consistency_alerts
                                WHERE detected_by = 'scan' AND resolved_at IS NULL"""))
    assert scan == {(rule, str(entity)) for rule, entity in legacy.expected}
    conn.execute(job)  # again: open alerts are not duplicated
    conn.commit()
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts WHERE detected_by = 'scan'"
                        ).fetchone()[0] == len(scan)
    dbguard.reconcile(connect(autocommit=True))
    conn.execute(job)
    conn.commit()
    still_open = {r[0] for r in conn.execute("""SELECT entity_id FROM dbguard.data_consistency_alerts
                                                 WHERE detected_by = 'scan' AND resolved_at IS NULL""")}
    python_check = {str(v["entity_id"]) for v in dbguard.check(conn, record=False).violations}
    assert still_open == python_check


def test_the_check_is_a_pg_cron_job_where_pg_cron_is_installed(server_dsn, conn, connect):
    # pg_cron lives in one database of the server (cron.database_name) and runs jobs in others.
    cron_db = connect(server_dsn, autocommit=True)
    why_not = schedule.pg_cron_status(cron_db)
    if why_not is not None:
        pytest.skip(f"pg_cron not usable on the test server: {why_not}")
    target = conn.info.dbname
    name = schedule.pg_cron_job_name(target)
    result = run_cli("--dsn", server_dsn, "schedule", "--database", target, "--check", "5m", "--print", "cron")
    assert result.returncode == 0, result.stderr
    assert f"pg_cron job {name}" in result.stderr
    assert " check --json" not in result.stdout and "reconcile --no-progress" in result.stdout
    try:
        job = cron_db.execute("SELECT schedule, command, database FROM cron.job WHERE jobname = %s",
                              (name,)).fetchone()
        assert job == ("*/5 * * * *", schedule.check_job_sql(), target)
    finally:
        removed = run_cli("--dsn", server_dsn, "schedule", "--database", target, "--remove")
    assert removed.returncode == 0 and f"pg_cron job {name} removed" in removed.stderr
    assert cron_db.execute("SELECT count(*) FROM cron.job WHERE jobname = %s", (name,)).fetchone() == (0,)
