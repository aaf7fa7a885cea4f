"""The report, the metrics and the audit views give the same figures for the same
database at the same moment: open violations by severity, open alerts by severity,
checked rows with a violation, the outcome/flag rates; and each report's totals
are the sums of the tables under them."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

import dbguard
from dbguard.alerts import alerts_resolve
from dbguard.reporting import SEVERITY_ORDER, format_report
from tests.cli_run import in_process
from tests.legacy_data import inject


def _families(conn) -> dict:
    return {f.name: f for f in text_string_to_metric_families(dbguard.metrics(conn))}


def _by_label(family, label: str) -> Counter:
    out: Counter = Counter()
    for s in family.samples:
        out[s.labels[label]] += int(s.value)
    return out


@pytest.fixture
def diverged(conn):
    """Violations and open alerts that do not coincide: scan alerts for every offender,
    one of them resolved by hand (its violation stays), one trigger alert with no
    violation behind it."""
    inject(conn)
    dbguard.check(conn)
    conn.commit()
    critical = conn.execute("""SELECT id FROM dbguard.data_consistency_alerts
                                WHERE severity = 'critical' AND resolved_at IS NULL ORDER BY id LIMIT 1""").fetchone()[0]
    alerts_resolve(conn, alert_id=critical, note="a person looked at it", by="ops")
    conn.execute("SELECT dbguard.raise_alert('phantom_booking', 'warning', 'call', '999999', 'raised at write time')")
    conn.commit()
    return conn


def test_report_metrics_and_views_agree_on_the_same_database(diverged):
    conn = diverged
    data = dbguard.report(conn)
    families = _families(conn)

    # Open violations by severity: report == metrics == consistency_violations.
    view_violations = Counter(dict(conn.execute(
        "SELECT severity, count(*) FROM dbguard_audit.consistency_violations GROUP BY 1").fetchall()))
    metric_violations = _by_label(families["dbguard_violations"], "severity")
    report_violations = Counter({s: n for s, n in data["violations"]["by_severity"].items() if n})
    assert report_violations == +metric_violations == view_violations
    assert data["violations"]["critical"] == view_violations["critical"] > 0

    # Open alerts by severity: report == metrics == the alerts table; the total == alert_summary's.
    table_alerts = Counter(dict(conn.execute(
        """SELECT severity, count(*) FROM dbguard.data_consistency_alerts WHERE resolved_at IS NULL
            GROUP BY 1""").fetchall()))
    metric_alerts = _by_label(families["dbguard_alerts_open"], "severity")
    report_alerts = Counter({s: n for s, n in data["open_alerts"]["by_severity"].items() if n})
    assert report_alerts == +metric_alerts == table_alerts
    summary_open = conn.execute("SELECT sum(still_open) FROM dbguard_audit.alert_summary").fetchone()[0]
    assert data["open_alerts"]["total"] == summary_open
    # The fixture made them differ: the report must not present one as the other.
    assert data["open_alerts"]["by_severity"] != data["violations"]["by_severity"]

    # Rows with a violation, per table: report == metrics == distinct rows of consistency_violations.
    view_rows = dict(conn.execute(
        "SELECT entity_type, count(DISTINCT entity_id) FROM dbguard_audit.consistency_violations GROUP BY 1"))
    report_rows = {e["entity"]: e["with_violations"] for e in data["entities"]["by_entity"]}
    metric_rows = {s.labels["entity"]: int(s.value) for s in families["dbguard_entities_with_violations"].samples}
    assert report_rows == metric_rows
    assert {k: v for k, v in report_rows.items() if v} == view_rows
    checked = {s.labels["entity"]: int(s.value) for s in families["dbguard_entities_checked"].samples}
    assert checked == {e["entity"]: e["checked"] for e in data["entities"]["by_entity"]}
    for entity, n in checked.items():
        assert n == conn.execute(f"SELECT count(*) FROM public.{entity}").fetchone()[0]
    ratio = families["dbguard_entities_without_violation_ratio"].samples[0].value
    assert round(100 * ratio, 2) == data["entities"]["without_violation_pct"] < 100

    # Outcome/flag agreement: metrics (last 24 h) == report (last 24 h); per day == consistency_rate_daily.
    assert families["dbguard_outcome_flag_consistency_ratio"].samples[0].value == pytest.approx(
        data["calls"]["consistent"] / data["calls"]["total"])
    per_day = {d["day"]: d for d in data["trend"]["outcome_flag_consistency_per_day"] if d["calls"]}
    view_days = {d.isoformat(): (n, float(pct)) for d, n, pct in conn.execute(
        "SELECT day, calls, consistency_rate_pct FROM dbguard_audit.consistency_rate_daily")}
    assert view_days and {d: (r["calls"], r["outcome_flag_consistency_pct"]) for d, r in per_day.items()} \
        == {d: v for d, v in view_days.items() if d in per_day}


def _sum_table(text: str, heading: str, column: int) -> int:
    block = text.split(heading, 1)[1].split("\n\n", 1)[0]
    rows = [line.split() for line in block.splitlines()[2:]]  # under the underline and the column names
    return sum(int(r[column]) for r in rows if r and r[0] != "(none)")


def test_the_text_reports_totals_are_the_sums_of_its_tables(diverged):
    data = dbguard.report(diverged)
    text = format_report(data, "text")
    header = re.search(r"open violations: (\d+) \((\d+) critical, (\d+) warning, (\d+) info\)", text)
    assert header and int(header[1]) == int(header[2]) + int(header[3]) + int(header[4])
    assert int(header[1]) == _sum_table(text, "Open violations by rule (now)\n", 3) == data["violations"]["total"]
    alerts = re.search(r"open alerts: (\d+) \((\d+) critical, (\d+) warning, (\d+) info\)", text)
    assert int(alerts[1]) == _sum_table(text, "Open alerts by type (now)\n", 2) == data["open_alerts"]["total"]
    assert int(alerts[2]) == sum(t["open"] for t in data["open_alerts"]["by_type"] if t["severity"] == "critical")
    assert f"Now (as of {data['as_of'][:16].replace('T', ' ')} UTC)" in text


def test_a_past_day_reports_that_day_and_says_what_is_as_of_now(diverged, dsn, capsys):
    conn = diverged
    conn.execute("""INSERT INTO dbguard.data_consistency_alerts
                        (alert_type, severity, entity_type, entity_id, description, detected_by, detected_at,
                         resolved_at, resolved_by)
                    VALUES ('x', 'critical', 'calls', '1', 'd', 'trigger', '2020-01-01 10:00+00',
                            '2020-01-01 11:00+00', 'scan'),
                           ('x', 'warning', 'calls', '2', 'd', 'trigger', '2019-12-31 10:00+00',
                            '2020-01-01 12:00+00', 'reconcile')""")
    conn.commit()
    data = dbguard.report(conn, day="2020-01-01")
    assert data["period"]["day"] == "2020-01-01"
    assert (data["alerts"]["total"], data["alerts"]["resolved"]) == (1, 2)
    assert data["alerts"]["resolved_by"] == {"reconcile": 1, "scan": 1}
    assert data["calls"]["total"] == 0 and data["calls"]["outcome_flag_consistency_pct"] is None
    text = format_report(data, "text")
    title, _, rest = text.partition("\n")
    assert title.startswith("dbguard report for 2020-01-01 (2020-01-01 00:00 – 2020-01-02 00:00 UTC)")
    period, _, now = rest.partition("\nNow (as of ")
    # Today's open violations appear only under the "as of now" heading, never in the 2020 part.
    assert "open violations" not in period and "open alerts:" not in period
    assert now.startswith(f"{data['as_of'][:16].replace('T', ' ')} UTC, not of the period)")
    assert "alerts resolved: 2 (1 by reconcile, 1 by scan)" in period
    markdown = format_report(data, "markdown")
    assert "## Now (as of " in markdown and ", not of the period)" in markdown
    html = format_report(data, "html")
    assert "Open violations (now)" in html and "figures marked (now) as of" in html
    result = in_process(capsys, "--dsn", dsn, "report", "--date", "2020-01-01", "--format", "json")
    assert result.code == 0, result.err
    printed = json.loads(result.out)
    assert printed["period"]["day"] == "2020-01-01" and printed["alerts"]["resolved"] == 2


ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def _timestamps(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _timestamps(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _timestamps(v, key)
    elif isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\d[ T]\d\d:", value):
        yield key, value


@pytest.mark.parametrize("args", [
    ["report", "--format", "json"], ["alerts", "--json"], ["check", "--json"], ["review", "--json"],
    ["breaker", "--json"], ["rules", "--json"], ["rules", "readiness", "--json"],
])
def test_every_json_output_writes_timestamps_in_iso_8601(diverged, dsn, capsys, args):
    conn = diverged
    conn.execute("SELECT dbguard.breaker_record_failure('calcom', 'timeout')")
    conn.execute("SELECT dbguard.enqueue_review(NULL, 'service_not_found', '{}')")
    conn.commit()
    result = in_process(capsys, "--dsn", dsn, *args)
    assert result.code in (0, 1), result.err
    found = list(_timestamps(json.loads(result.out)))
    if args[0] in ("report", "alerts", "review", "breaker"):
        assert found, f"{args}: expected timestamps in the output"
    for key, value in found:
        assert ISO_8601.match(value), f"{args}: {key} = {value!r} is not ISO 8601"
        datetime.fromisoformat(value)


def test_the_serialiser_writes_dates_durations_and_numerics_as_json_types():
    from decimal import Decimal

    from dbguard.jsonout import to_json
    when = datetime(2026, 1, 10, 23, 59, tzinfo=timezone.utc)
    assert json.loads(to_json({"at": when, "day": when.date(), "took": timedelta(days=1, hours=2, seconds=3.5),
                               "none": timedelta(0), "pct": Decimal("97.50"), "n": Decimal("3")})) == {
        "at": "2026-01-10T23:59:00+00:00", "day": "2026-01-10", "took": "P1DT2H3.5S", "none": "PT0S",
        "pct": 97.5, "n": 3}
    assert SEVERITY_ORDER == ("critical", "warning", "info")


def test_computed_results_are_dataclasses_with_as_dict_and_serialise_as_json(diverged, connect):
    import dataclasses

    from dbguard.jsonout import to_json
    conn = diverged
    results = [dbguard.check(conn, record=False), *dbguard.reconcile(connect(autocommit=True), dry_run=True),
               dbguard.backfill(connect(autocommit=True), "metadata", dry_run=True), *dbguard.readiness(conn),
               *dbguard.preflight(conn)]
    assert results
    for result in results:
        assert dataclasses.is_dataclass(result), type(result)
        as_dict = result.as_dict()
        assert json.loads(to_json(result)) == json.loads(to_json(as_dict))
