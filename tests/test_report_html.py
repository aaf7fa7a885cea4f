"""`dbguard report --format html`: one self-contained page (no external reference,
no script) with the trend, breakdown, top offenders and review-queue charts."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

import dbguard
from dbguard.report_html import SECTIONS
from dbguard.reporting import format_report
from tests.legacy_data import inject

EXTERNAL = re.compile(r"""(https?:|//[a-z0-9]|<script|<link|<iframe|<object|<embed|<img|\bsrc\s*=|\bhref\s*=|"""
                      r"""url\(|@import)""", re.I)


def html_report(conn, **kw) -> str:
    return format_report(dbguard.report(conn, **kw), "html")


def test_the_html_report_is_self_contained_with_every_section_as_a_chart(conn):
    inject(conn)
    dbguard.check(conn)
    html = html_report(conn)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert EXTERNAL.findall(html) == []
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    charts = re.findall(r'<section id="([a-z-]+)">.*?</section>', html, re.S)
    with_svg = {s for s in charts if re.search(rf'<section id="{s}">(?:(?!</section>).)*<svg', html, re.S)}
    assert with_svg == set(SECTIONS) - {"summary"}
    assert "phantom_booking" in html


def test_values_from_the_database_are_escaped(conn):
    conn.execute("""SELECT dbguard.raise_alert('<img src=x onerror=alert(1)>', 'critical', 'calls', '1',
                                               'markup in an alert type')""")
    conn.commit()
    html = html_report(conn)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.commits
def test_an_empty_database_renders_with_empty_chart_notes(conn):
    html = html_report(conn)
    assert "No alerts in these 28 days" in html and "No calls in these 28 days" in html
    assert EXTERNAL.findall(html) == []


def test_trend_counts_alerts_and_consistency_per_utc_day_up_to_the_period(conn):
    day = datetime.now(timezone.utc).date() - timedelta(days=5)
    for severity, hour in (("critical", 1), ("critical", 23), ("warning", 12)):
        conn.execute(
            """INSERT INTO dbguard.data_consistency_alerts
                   (alert_type, severity, entity_type, entity_id, description, detected_by, detected_at)
               VALUES ('x', %s, 'calls', '1', 'x', 'trigger', (%s::date + make_interval(hours => %s)) AT TIME ZONE 'UTC')""",
            (severity, day, hour))
    conn.execute("SET session_replication_role = replica")
    for outcome, made in (("appointment_booked", True), ("appointment_booked", False), ("no_appointment", False),
                          ("no_appointment", False)):
        conn.execute("""INSERT INTO public.calls (company_id, direction, session_outcome, appointment_made, created_at)
                        VALUES (NULL, 'inbound', %s, %s, (%s::date + interval '10 hours') AT TIME ZONE 'UTC')""",
                     (outcome, made, day))
    conn.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    data = dbguard.report(conn, day=(datetime.now(timezone.utc).date() - timedelta(days=1)).isoformat())
    alerts = {d["day"]: d for d in data["trend"]["alerts_per_day"]}
    consistency = {d["day"]: d for d in data["trend"]["outcome_flag_consistency_per_day"]}
    assert len(alerts) == len(consistency) == 28
    assert max(alerts) == (datetime.now(timezone.utc).date() - timedelta(days=1)).isoformat()
    assert alerts[day.isoformat()] == {"day": day.isoformat(), "critical": 2, "warning": 1, "info": 0}
    assert consistency[day.isoformat()] == {"day": day.isoformat(), "calls": 4, "outcome_flag_consistency_pct": 75.0}
    assert consistency[(day - timedelta(days=1)).isoformat()]["outcome_flag_consistency_pct"] is None


def test_open_review_entries_are_counted_by_age(conn):
    for hours in (0.2, 5, 30, 30, 500):
        conn.execute("""INSERT INTO dbguard.manual_review_queue (call_id, reason, priority, context, created_at)
                        VALUES (NULL, 'service_not_found', 4, '{}', now() - make_interval(secs => %s))""",
                     (hours * 3600,))
    conn.execute("""INSERT INTO dbguard.manual_review_queue (call_id, reason, priority, context, status, created_at)
                    VALUES (NULL, 'calcom_booking_failed', 2, '{}', 'resolved', now() - interval '90 days')""")
    conn.commit()
    ages = {b["age"]: b["open"] for b in dbguard.report(conn)["review_queue"]["open_by_age"]}
    assert ages == {"under 1 h": 1, "1-24 h": 1, "1-7 days": 2, "over 7 days": 1}


def test_report_command_writes_the_html_page_to_a_file(conn, dsn, tmp_path):
    target = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "report", "--format", "html",
                             "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert '<section id="alert-trend">' in target.read_text(encoding="utf-8")
