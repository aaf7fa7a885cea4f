"""`dbguard metrics`: prometheus_client exposition on stdout, in a file replaced
atomically for node_exporter's textfile collector, and over HTTP; the alerting
rules and the Grafana dashboard in monitoring/ use only what it exports."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import dbguard
from tests.legacy_data import inject

MONITORING = Path(__file__).resolve().parent.parent / "monitoring"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=3"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True, timeout=120)


def families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(text: str, name: str) -> float:
    return families(text)[name].samples[0].value


@pytest.mark.commits
def test_metrics_report_up_the_last_successful_check_time_and_the_check_duration(conn):
    before = time.time()
    text = dbguard.metrics(conn)
    assert value(text, "dbguard_up") == 1
    assert before <= value(text, "dbguard_last_successful_check_timestamp_seconds") <= time.time()
    assert 0 <= value(text, "dbguard_check_duration_seconds") <= value(text, "dbguard_collect_duration_seconds")


def test_oldest_open_review_entry_age_is_exported(conn):
    assert value(dbguard.metrics(conn), "dbguard_review_queue_oldest_open_age_seconds") == 0
    conn.execute("""INSERT INTO dbguard.manual_review_queue (call_id, reason, priority, context, created_at)
                    VALUES (NULL, 'service_not_found', 4, '{}', now() - interval '2 hours')""")
    conn.commit()
    assert value(dbguard.metrics(conn), "dbguard_review_queue_oldest_open_age_seconds") >= 7200


def test_metrics_file_is_replaced_by_a_rename_never_rewritten_in_place(dsn, tmp_path):
    target = tmp_path / "dbguard.prom"
    target.write_text("# previous run\n")
    reader = open(target, encoding="utf-8")  # a textfile collector reading the old file meanwhile
    try:
        result = run_cli("--dsn", dsn, "metrics", "-o", str(target))
        assert result.returncode == 0, result.stderr
        assert reader.read() == "# previous run\n"
    finally:
        reader.close()
    assert value(target.read_text(), "dbguard_up") == 1
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["dbguard.prom"]
    assert result.stdout == ""


def test_an_unreachable_database_writes_up_0_and_keeps_the_last_successful_check_time(dsn, tmp_path):
    target = tmp_path / "dbguard.prom"
    assert run_cli("--dsn", dsn, "metrics", "-o", str(target)).returncode == 0
    last_success = value(target.read_text(), "dbguard_last_successful_check_timestamp_seconds")

    result = run_cli("--dsn", UNREACHABLE, "metrics", "-o", str(target))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "cannot connect" in result.stderr
    text = target.read_text()
    assert value(text, "dbguard_up") == 0
    assert value(text, "dbguard_last_successful_check_timestamp_seconds") == last_success
    assert "dbguard_violations" not in families(text)

    printed = run_cli("--dsn", UNREACHABLE, "metrics")
    assert printed.returncode != 0 and "Traceback" not in printed.stderr
    assert value(printed.stdout, "dbguard_up") == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_are_served_over_http_until_the_server_is_stopped(conn, dsn):
    inject(conn)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dbguard", "--dsn", dsn, "metrics", "--serve", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}/metrics" in proc.stderr.readline()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            text = response.read().decode()
        assert value(text, "dbguard_up") == 1
        violations = {s.labels["rule"]: s.value for s in families(text)["dbguard_violations"].samples}
        assert violations["phantom_booking"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_an_unwritable_output_file_is_one_error_line(dsn, tmp_path):
    result = run_cli("--dsn", dsn, "metrics", "-o", str(tmp_path / "missing-dir" / "dbguard.prom"))
    assert result.returncode != 0
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_an_address_without_a_port():
    result = run_cli("--dsn", UNREACHABLE, "metrics", "--serve", "localhost")
    assert result.returncode != 0 and "use :PORT or HOST:PORT" in result.stderr
    assert "Traceback" not in result.stderr


def _exported_names(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(s.name for s in family.samples)
    return names


def test_alerting_rules_and_dashboard_use_only_metrics_that_dbguard_exports(conn):
    inject(conn)
    conn.execute("SELECT dbguard.breaker_record_failure('calcom', 'timeout')")
    conn.commit()
    dbguard.check(conn)
    exported = _exported_names(dbguard.metrics(conn))
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += re.findall(r"expr: (.+)", (MONITORING / "prometheus-rules.yml").read_text())
    used = {name for e in exprs for name in re.findall(r"\bdbguard_[a-z0-9_]+", e)}
    assert used and used <= exported


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (Debian package prometheus; .ci/run installs it)")
def test_promtool_accepts_the_metrics_and_the_alerting_rules(conn):
    inject(conn)
    dbguard.check(conn)
    lint = subprocess.run(["promtool", "check", "metrics"], input=dbguard.metrics(conn), capture_output=True,
                          text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert lint.stdout.strip() == "" and lint.stderr.strip() == ""
    rules = subprocess.run(["promtool", "check", "rules", "prometheus-rules.yml"], cwd=MONITORING,
                           capture_output=True, text=True, timeout=60)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    unit = subprocess.run(["promtool", "test", "rules", "prometheus-rules.test.yml"], cwd=MONITORING,
                          capture_output=True, text=True, timeout=60)
    assert unit.returncode == 0, unit.stdout + unit.stderr
