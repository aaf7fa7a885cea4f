"""User rules, report, metrics and watch."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

import dbguard
from dbguard import views
from dbguard.catalog import CatalogError, docs_markdown, load_catalog
from tests.legacy_data import call, inject, insert

USER_RULE = """\
-- rule: spam_call_marked_successful
-- severity: info
-- entity: calls
-- description: a call typed 'spam' is marked successful
-- fix: call_successful = false
-- @detect
SELECT c.id AS entity_id, c.company_id, c.id AS call_id, c.created_at, '{}'::jsonb AS details
  FROM {{ domain_schema }}.calls c
 WHERE c.call_type = 'spam' AND c.call_successful
-- @repair
UPDATE {{ domain_schema }}.calls SET call_successful = false WHERE id = ANY(%(ids)s)
"""


def run_cli(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True, timeout=120,
                          env=env, **kw)


@pytest.fixture
def user_catalog(tmp_path):
    (tmp_path / "spam_call_marked_successful.sql.j2").write_text(USER_RULE)
    return tmp_path


def test_a_user_rule_added_as_one_file_shows_up_in_check_view_docs_and_reconcile(conn, dsn, connect, user_catalog):
    company = insert(conn, "companies", name="c")
    spam = call(conn, company, call_type="spam", call_successful=True)
    call(conn, company, call_type="spam", call_successful=False)
    conn.commit()

    result = dbguard.check(conn, catalog_dir=user_catalog)
    assert [(v["rule"], v["entity_id"]) for v in result.violations] == [("spam_call_marked_successful", spam)]
    conn.commit()

    views.install_views(conn, catalog_dir=user_catalog)
    conn.commit()
    assert conn.execute("SELECT rule, severity, entity_id FROM dbguard_audit.consistency_violations").fetchall() \
        == [("spam_call_marked_successful", "info", spam)]

    assert "| `spam_call_marked_successful` | info | `calls` |" in docs_markdown(load_catalog(user_catalog))

    [summary] = dbguard.reconcile(connect(autocommit=True), rules=["spam_call_marked_successful"],
                                  catalog_dir=user_catalog)
    assert summary.fixed == 1
    assert dbguard.check(conn, catalog_dir=user_catalog).total == 0


def test_user_rules_come_from_DBGUARD_CATALOG_DIR_on_the_command_line(conn, dsn, user_catalog):
    company = insert(conn, "companies", name="c")
    spam = call(conn, company, call_type="spam", call_successful=True)
    conn.commit()
    env = {**os.environ, "DBGUARD_CATALOG_DIR": str(user_catalog)}
    result = run_cli("--dsn", dsn, "check", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert [v["entity_id"] for v in json.loads(result.stdout)["violations"]] == [spam]
    docs = run_cli("render", "--docs", env=env)
    assert "spam_call_marked_successful" in docs.stdout


def test_a_user_rule_edited_between_two_checks_of_one_process_is_read_anew(conn, user_catalog):
    # Compiled templates are kept between checks (catalog._environment); an edit must still count.
    company = insert(conn, "companies", name="c")
    spam = call(conn, company, call_type="spam", call_successful=True)
    robocall = call(conn, company, call_type="robocall", call_successful=True)
    conn.commit()
    assert [v["entity_id"] for v in dbguard.check(conn, rules=["spam_call_marked_successful"], record=False,
                                                  catalog_dir=user_catalog).violations] == [spam]

    path = user_catalog / "spam_call_marked_successful.sql.j2"
    path.write_text(USER_RULE.replace("c.call_type = 'spam'", "c.call_type = 'robocall'"))
    later = path.stat().st_mtime + 5  # a new mtime even where the clock's resolution is coarse
    os.utime(path, (later, later))
    assert [v["entity_id"] for v in dbguard.check(conn, rules=["spam_call_marked_successful"], record=False,
                                                  catalog_dir=user_catalog).violations] == [robocall]


def test_a_user_rule_with_the_name_of_a_shipped_one_is_refused(tmp_path):
    (tmp_path / "mine.sql.j2").write_text(USER_RULE.replace("spam_call_marked_successful", "phantom_booking"))
    with pytest.raises(CatalogError, match="rule 'phantom_booking' is defined twice"):
        load_catalog(tmp_path)


def test_a_user_rule_without_its_header_is_refused_with_the_missing_keys(tmp_path):
    (tmp_path / "bad.sql").write_text("-- rule: bad\n-- @detect\nSELECT 1\n")
    with pytest.raises(CatalogError, match="header lacks description, entity, fix, severity"):
        load_catalog(tmp_path)


def test_report_has_totals_types_top_issues_trend_and_auto_correction_rate(conn, connect):
    legacy = inject(conn)
    dbguard.check(conn)
    conn.execute("""INSERT INTO dbguard.data_consistency_alerts
                        (alert_type, severity, entity_type, entity_id, description, detected_by, detected_at)
                    VALUES ('phantom_booking', 'critical', 'calls', '0', 'a week ago', 'trigger',
                            now() - interval '7 days')""")
    conn.commit()
    dbguard.reconcile(connect(autocommit=True))
    data = dbguard.report(conn)
    automatic = len(legacy.expected - legacy.manual)
    assert data["alerts"]["total"] == len(legacy.expected)
    assert data["alerts"]["auto_corrected"] == automatic
    assert data["alerts"]["auto_correction_rate_pct"] == round(100 * automatic / len(legacy.expected), 2)
    assert data["alerts"]["week_before"] == 1 and data["alerts"]["trend"] == "up"
    assert data["violations"]["total"] == len(legacy.manual)
    assert data["top_issues"][0]["severity"] == "critical"
    assert {t["alert_type"] for t in data["alerts"]["by_type"]} == {r for r, _ in legacy.expected}
    assert data["review_queue"]["pending"] == 5

    text = dbguard.reporting.format_report(data, "text")
    markdown = dbguard.reporting.format_report(data, "markdown")
    assert "auto-correction rate" in text and "Top issues" in text
    assert "## Alerts detected in the period, by type" in markdown
    assert re.search(r"^\| phantom_booking +\| critical +\|", markdown, re.M)
    assert json.loads(dbguard.reporting.format_report(data, "json"))["alerts"]["total"] == len(legacy.expected)


def test_report_command_formats(conn, dsn):
    for fmt, marker in (("text", "The period"), ("markdown", "# dbguard daily report"), ("json", '"alerts"')):
        result = run_cli("--dsn", dsn, "report", "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert marker in result.stdout


def test_metrics_parse_as_prometheus_text_format(conn):
    legacy = inject(conn)
    dbguard.check(conn)
    # Real breakers: calcom fails three times (open), retell succeeds (closed).
    for _ in range(3):
        conn.execute("SELECT dbguard.breaker_record_failure('calcom', 'timeout')")
    conn.execute("SELECT dbguard.breaker_record_success('retell')")
    conn.commit()
    families = {f.name: f for f in text_string_to_metric_families(dbguard.metrics(conn))}

    violations = {s.labels["rule"]: s.value for s in families["dbguard_violations"].samples}
    assert violations["phantom_booking"] == 2 and violations["cross_tenant_staff"] == 1
    assert sum(violations.values()) == len(legacy.expected)
    open_alerts = sum(s.value for s in families["dbguard_alerts_open"].samples)
    assert open_alerts == len(legacy.expected)
    assert families["dbguard_alerts"].type == "counter"
    rate = families["dbguard_outcome_flag_consistency_ratio"].samples[0].value
    calls, consistent = conn.execute(
        """SELECT count(*), count(*) FILTER (WHERE (session_outcome IS NOT DISTINCT FROM 'appointment_booked')
                                                   = appointment_made) FROM public.calls""").fetchone()
    assert rate == pytest.approx(consistent / calls)
    states = {(s.labels["key"], s.labels["state"]): s.value for s in families["dbguard_circuit_breaker_state"].samples}
    assert states[("calcom", "OPEN")] == 1 and states[("calcom", "CLOSED")] == 0 and states[("retell", "CLOSED")] == 1


def test_metrics_without_calls_or_breakers_still_parse(dsn):
    result = run_cli("--dsn", dsn, "metrics")
    assert result.returncode == 0, result.stderr
    families = {f.name: f for f in text_string_to_metric_families(result.stdout)}
    assert families["dbguard_circuit_breaker_state"].samples == []
    assert families["dbguard_calls_last_24h"].samples[0].value == 0


def test_watch_receives_an_alert_raised_in_another_session(dsn, connect):
    ready = threading.Event()
    received: list[dict] = []
    thread = threading.Thread(target=lambda: received.extend(
        dbguard.watch(dsn, count=1, timeout=60, on_ready=ready.set)), daemon=True)
    thread.start()
    assert ready.wait(30)
    other = connect()
    other.execute("SELECT dbguard.raise_alert('phantom_booking', 'critical', 'calls', '42', 'seen live')")
    other.commit()
    thread.join(60)
    assert [(a["alert_type"], a["entity_id"], a["description"]) for a in received] \
        == [("phantom_booking", "42", "seen live")]


def test_watch_command_prints_alerts_and_stops_after_count(dsn, connect):
    proc = subprocess.Popen([sys.executable, "-m", "dbguard", "--dsn", dsn, "watch", "--count", "1",
                             "--timeout", "60", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on dbguard_alerts" in proc.stderr.readline()
        other = connect()
        other.execute("SELECT dbguard.raise_alert('call_missing_direction', 'warning', 'calls', '7', 'no direction')")
        other.commit()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, err  # it printed a warning: at --fail-on's default
    assert json.loads(out.strip())["entity_id"] == "7"


def test_watch_stops_at_its_timeout_without_alerts(dsn):
    assert dbguard.watch(dsn, timeout=0.2) == []


def test_render_command_prints_and_writes_the_views(tmp_path):
    printed = run_cli("render", "--view", "review_queue")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.count("CREATE OR REPLACE VIEW") == 1
    target = tmp_path / "views.sql"
    assert run_cli("render", "-o", str(target)).returncode == 0
    assert target.read_text().count("CREATE OR REPLACE VIEW") >= 12
    unknown = run_cli("render", "--view", "nope")
    assert unknown.returncode == 2 and "unknown view(s) nope" in unknown.stderr


def test_report_for_a_given_day_covers_that_utc_day_only(conn, dsn):
    conn.execute("""INSERT INTO dbguard.data_consistency_alerts
                        (alert_type, severity, entity_type, entity_id, description, detected_by, detected_at)
                    VALUES ('x', 'warning', 'calls', '1', 'd', 'trigger', '2026-01-10 23:59+00'),
                           ('x', 'warning', 'calls', '2', 'd', 'trigger', '2026-01-11 00:00+00'),
                           ('x', 'warning', 'calls', '3', 'd', 'trigger', '2026-01-03 12:00+00')""")
    conn.commit()
    data = dbguard.report(conn, day="2026-01-10")
    assert data["period"]["start"].startswith("2026-01-10T00:00:00")
    assert (data["alerts"]["total"], data["alerts"]["week_before"], data["alerts"]["trend"]) == (1, 1, "flat")
    bad = run_cli("--dsn", dsn, "report", "--date", "10.01.2026")
    assert bad.returncode == 2 and "invalid --date '10.01.2026'" in bad.stderr and "Traceback" not in bad.stderr
