"""``report`` (the daily report) and ``metrics`` (Prometheus exposition through
prometheus_client: to stdout, to a file for node_exporter's textfile collector,
or served over HTTP)."""

from __future__ import annotations

import math
import os
import tempfile
import time
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import Callable, Iterator

import psycopg

from .catalog import quote_schema
from .detection import scan
from .errors import DbguardError
from .jsonout import to_json
from .tables import format_table

TOP_ISSUES = 5


def _period(day: date | str | None) -> tuple[datetime, datetime]:
    if day is None:
        end = datetime.now(timezone.utc)
        return end - timedelta(days=1), end
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise DbguardError(f"invalid --date {day!r}: use YYYY-MM-DD (a UTC day)") from None
    start = datetime.combine(day, dtime.min, tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


SEVERITY_ORDER = ("critical", "warning", "info")


@contextmanager
def one_moment(conn: psycopg.Connection) -> Iterator[None]:
    """Every read inside sees the same snapshot of the database (one REPEATABLE READ,
    READ ONLY transaction), so that figures read one after the other agree. Inside a
    transaction the caller already has open, the reads run in that one instead."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        yield
        return
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _by_severity(pairs) -> dict[str, int]:
    counts = {s: 0 for s in SEVERITY_ORDER}
    for severity, n in pairs:
        counts[severity] = counts.get(severity, 0) + n
    return counts


def open_now(conn: psycopg.Connection, *, catalog_dir=None, domain_schema: str = "public") -> dict:
    """What is open at this moment, read in one snapshot: the violations the detection
    rules find (by rule and severity), the rows of each checked table with and without
    a violation, and the unresolved alerts (by type and severity). ``as_of`` is the
    snapshot's time. The totals are sums of the rows they head, so a report cannot
    print a total that its own table contradicts."""
    with one_moment(conn):
        as_of = conn.execute("SELECT now()").fetchone()[0].astimezone(timezone.utc)
        found, entities = scan(conn, catalog_dir=catalog_dir, domain_schema=domain_schema)
        alerts = conn.execute(
            """SELECT alert_type, severity, count(*) FROM dbguard.data_consistency_alerts
                WHERE resolved_at IS NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""").fetchall()
    by_rule = [{"rule": r.rule, "severity": r.severity, "entity": r.entity, "count": r.count} for r in found]
    violations = _by_severity((r["severity"], r["count"]) for r in by_rule)
    alert_counts = _by_severity((s, n) for _t, s, n in alerts)
    checked = sum(e.checked for e in entities)
    broken = sum(e.with_violations for e in entities)
    return {
        "as_of": as_of.isoformat(),
        "violations": {"total": sum(violations.values()), "critical": violations["critical"],
                       "by_severity": violations, "by_rule": by_rule},
        "entities": {"checked": checked, "with_violations": broken,
                     "without_violation_pct": _pct(checked - broken, checked),
                     "by_entity": [e.as_dict() for e in entities]},
        "open_alerts": {"total": sum(alert_counts.values()), "critical": alert_counts["critical"],
                        "by_severity": alert_counts,
                        "by_type": [{"alert_type": t, "severity": s, "open": n} for t, s, n in alerts]},
    }


def report(conn: psycopg.Connection, *, day: date | str | None = None, catalog_dir=None,
           domain_schema: str = "public", trend_days: int = 28) -> dict:
    """The daily report, read in one snapshot of the database.

    Of the period (the UTC day ``day``, or the last 24 hours when not given):
    alerts detected (by type, auto-correction rate, week-over-week trend), alerts
    resolved, the outcome/flag agreement of the period's calls; and for the charts
    of the HTML report, the ``trend_days`` days up to the period's end.

    As of now (``as_of``, whatever the period): open violations (totals, by rule,
    top issues), the share of checked rows without an open violation, open alerts,
    the review queue and the companies with the most open violations."""
    start, end = _period(day)
    window = {"start": start, "end": end, "wstart": start - timedelta(days=7), "wend": end - timedelta(days=7)}
    with one_moment(conn):
        now = open_now(conn, catalog_dir=catalog_dir, domain_schema=domain_schema)
        by_type = [
            {"alert_type": t, "severity": s, "count": n, "auto_corrected": ac, "open": op}
            for t, s, n, ac, op in conn.execute(
                """SELECT alert_type, max(severity), count(*), count(*) FILTER (WHERE auto_corrected),
                          count(*) FILTER (WHERE resolved_at IS NULL)
                     FROM dbguard.data_consistency_alerts
                    WHERE detected_at >= %(start)s AND detected_at < %(end)s
                    GROUP BY alert_type ORDER BY count(*) DESC, alert_type""", window)]
        week_before = conn.execute(
            """SELECT count(*) FROM dbguard.data_consistency_alerts
                WHERE detected_at >= %(wstart)s AND detected_at < %(wend)s""", window).fetchone()[0]
        resolved = dict(conn.execute(
            """SELECT resolved_by, count(*) FROM dbguard.data_consistency_alerts
                WHERE resolved_at >= %(start)s AND resolved_at < %(end)s GROUP BY 1 ORDER BY 1""", window).fetchall())
        calls, consistent = conn.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE (session_outcome IS NOT DISTINCT FROM 'appointment_booked')
                                                         = appointment_made)
                  FROM {_calls(domain_schema)} WHERE created_at >= %(start)s AND created_at < %(end)s""",
            window).fetchone()
        pending = dict(conn.execute(
            "SELECT reason, count(*) FROM dbguard.manual_review_queue WHERE status = 'pending' GROUP BY reason"
        ).fetchall())
        history = _history(conn, end, trend_days, domain_schema)
    severity_rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    top = sorted((r for r in now["violations"]["by_rule"] if r["count"]),
                 key=lambda r: (severity_rank.get(r["severity"], 3), -r["count"], r["rule"]))[:TOP_ISSUES]
    total = sum(t["count"] for t in by_type)
    auto = sum(t["auto_corrected"] for t in by_type)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat(),
                   "day": None if day is None else start.date().isoformat()},
        "as_of": now["as_of"],
        "violations": now["violations"],
        "entities": now["entities"],
        "open_alerts": now["open_alerts"],
        "top_issues": top,
        "alerts": {
            "total": total, "auto_corrected": auto, "auto_correction_rate_pct": _pct(auto, total),
            "by_type": by_type, "week_before": week_before, "week_over_week_pct": _pct(total - week_before, week_before),
            "trend": "new" if week_before == 0 and total else
                     "up" if total > week_before else "down" if total < week_before else "flat",
            "resolved": sum(resolved.values()), "resolved_by": resolved,
        },
        "calls": {"total": calls, "consistent": consistent, "outcome_flag_consistency_pct": _pct(consistent, calls)},
        "review_queue": {"pending": sum(pending.values()), "by_reason": pending,
                         "open_by_age": history.pop("review_ages")},
        **history,
    }


REVIEW_AGE_BUCKETS = (("under 1 h", 1), ("1-24 h", 24), ("1-7 days", 168), ("over 7 days", None))


def _history(conn: psycopg.Connection, end: datetime, days: int, domain_schema: str) -> dict:
    """The last ``days`` UTC days up to ``end``: alerts per day and severity, the
    outcome/flag consistency per day; open review entries by age; the companies
    with the most open violations (from dbguard_audit.consistency_violations)."""
    params = {"end": end, "days": days}
    alerts = conn.execute(
        """SELECT d::date, s.severity, count(a.id)
             FROM generate_series((((%(end)s - interval '1 microsecond') AT TIME ZONE 'UTC')::date - (%(days)s - 1))::timestamp,
                                  ((%(end)s - interval '1 microsecond') AT TIME ZONE 'UTC')::date::timestamp, interval '1 day') d
            CROSS JOIN (VALUES ('critical'), ('warning'), ('info')) s(severity)
             LEFT JOIN dbguard.data_consistency_alerts a
                    ON a.detected_at >= d AT TIME ZONE 'UTC' AND a.detected_at < (d + interval '1 day') AT TIME ZONE 'UTC'
                   AND a.detected_at < %(end)s AND a.severity = s.severity
            GROUP BY 1, 2 ORDER BY 1""", params).fetchall()
    per_day: dict[str, dict] = {}
    for day, severity, n in alerts:
        per_day.setdefault(day.isoformat(), {"day": day.isoformat()})[severity] = n
    consistency = [
        {"day": d.isoformat(), "calls": n, "outcome_flag_consistency_pct": _pct(ok, n)}
        for d, n, ok in conn.execute(
            f"""SELECT d::date, count(c.id),
                       count(c.id) FILTER (WHERE (c.session_outcome IS NOT DISTINCT FROM 'appointment_booked')
                                                 = c.appointment_made)
                  FROM generate_series((((%(end)s - interval '1 microsecond') AT TIME ZONE 'UTC')::date - (%(days)s - 1))::timestamp,
                                       ((%(end)s - interval '1 microsecond') AT TIME ZONE 'UTC')::date::timestamp, interval '1 day') d
                  LEFT JOIN {_calls(domain_schema)} c
                         ON c.created_at >= d AT TIME ZONE 'UTC' AND c.created_at < (d + interval '1 day') AT TIME ZONE 'UTC'
                        AND c.created_at < %(end)s
                 GROUP BY 1 ORDER BY 1""", params)]
    ages = conn.execute(
        """SELECT extract(epoch FROM now() - created_at) / 3600 FROM dbguard.manual_review_queue
            WHERE status IN ('pending', 'in_progress')""").fetchall()
    buckets = {label: 0 for label, _ in REVIEW_AGE_BUCKETS}
    for (hours,) in ages:
        label = next(label for label, limit in REVIEW_AGE_BUCKETS if limit is None or hours < limit)
        buckets[label] += 1
    companies = []
    if conn.execute("SELECT to_regclass('dbguard_audit.consistency_violations')").fetchone()[0] is not None:
        companies = [
            {"company_id": c, "name": name, "critical": crit, "violations": n}
            for c, name, crit, n in conn.execute(
                f"""SELECT v.company_id, min(co.name), count(*) FILTER (WHERE v.severity = 'critical'), count(*)
                      FROM dbguard_audit.consistency_violations v
                      LEFT JOIN {quote_schema(domain_schema)}.companies co ON co.id = v.company_id
                     GROUP BY v.company_id ORDER BY 3 DESC, 4 DESC, 1 LIMIT %s""", (TOP_ISSUES * 2,))]
    return {
        "trend": {"days": days, "alerts_per_day": list(per_day.values()),
                  "outcome_flag_consistency_per_day": consistency},
        "top_companies": companies,
        "review_ages": [{"age": label, "open": n} for label, n in buckets.items()],
    }


def _calls(domain_schema: str) -> str:
    return f"{quote_schema(domain_schema)}.calls"


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value}"


def _utc(iso: str) -> str:
    """'2026-01-10T00:00:00+00:00' -> '2026-01-10 00:00' (the report's times are UTC)."""
    return iso[:16].replace("T", " ")


def _severities(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in SEVERITY_ORDER)


def format_report(data: dict, fmt: str = "text") -> str:
    """The report as 'text', 'markdown', 'json' or 'html' (one self-contained page with charts)."""
    if fmt == "json":
        return to_json(data)
    if fmt == "html":
        from importlib.metadata import PackageNotFoundError, version

        from .report_html import render_html
        try:
            release = version("dbguard")
        except PackageNotFoundError:
            release = ""
        return render_html(data, version=release)
    md = fmt == "markdown"
    period, v, e, o = data["period"], data["violations"], data["entities"], data["open_alerts"]
    a, c, q = data["alerts"], data["calls"], data["review_queue"]
    span = f"{_utc(period['start'])} – {_utc(period['end'])} UTC"
    title = (f"dbguard report for {period['day']} ({span})" if period.get("day")
             else f"dbguard daily report, last 24 hours ({span})")
    lines = [("# " if md else "") + title, ""]

    def section(heading: str) -> None:
        lines.extend([("## " if md else "") + heading, "" if md else "-" * len(heading)])

    def table(header: list[str], rows: list[list]) -> None:
        lines.extend([format_table(header, rows, markdown=md, missing="n/a"), ""])

    bullet = "- " if md else "  "
    resolved_by = ", ".join(f"{n} by {who}" for who, n in a["resolved_by"].items())
    section("The period")
    lines += [f"{bullet}alerts detected: {a['total']} (week before: {a['week_before']}, "
              f"week over week: {_fmt(a['week_over_week_pct'])} %, trend {a['trend']})",
              f"{bullet}auto-correction rate: {_fmt(a['auto_correction_rate_pct'])} % "
              f"({a['auto_corrected']} of {a['total']} alerts)",
              f"{bullet}alerts resolved: {a['resolved']}" + (f" ({resolved_by})" if resolved_by else ""),
              f"{bullet}calls created: {c['total']}; outcome/flag agreement (one rule, outcome_flag_sync: "
              f"session_outcome 'appointment_booked' exactly when appointment_made): "
              f"{_fmt(c['outcome_flag_consistency_pct'])} % ({c['consistent']} of {c['total']})", ""]
    section("Alerts detected in the period, by type")
    table(["alert_type", "severity", "alerts", "auto_corrected", "open_now"],
          [[t["alert_type"], t["severity"], t["count"], t["auto_corrected"], t["open"]] for t in a["by_type"]])

    as_of = f"as of {_utc(data['as_of'])} UTC" + (", not of the period" if period.get("day") else "")
    section(f"Now ({as_of})")
    by_entity = ", ".join(f"{x['entity']} {x['checked'] - x['with_violations']} of {x['checked']}"
                          for x in e["by_entity"])
    lines += [f"{bullet}open violations: {v['total']} ({_severities(v['by_severity'])})",
              f"{bullet}rows without an open violation: {_fmt(e['without_violation_pct'])} % "
              f"({e['checked'] - e['with_violations']} of {e['checked']} rows checked"
              + (f": {by_entity}" if by_entity else "") + ")",
              f"{bullet}open alerts: {o['total']} ({_severities(o['by_severity'])})",
              f"{bullet}manual review pending: {q['pending']}", ""]
    section("Top issues (now)")
    table(["rule", "severity", "entity", "open"], [[t["rule"], t["severity"], t["entity"], t["count"]]
                                                   for t in data["top_issues"]])
    section("Open violations by rule (now)")
    table(["rule", "severity", "entity", "open"], [[r["rule"], r["severity"], r["entity"], r["count"]]
                                                   for r in v["by_rule"]])
    section("Open alerts by type (now)")
    table(["alert_type", "severity", "open"], [[t["alert_type"], t["severity"], t["open"]] for t in o["by_type"]])
    return "\n".join(lines).rstrip() + "\n"


def _breakers(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(key, state) of each breaker from dbguard_audit.circuit_breakers, if that view exists."""
    cols = [r[0] for r in conn.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_schema = 'dbguard_audit' AND table_name = 'circuit_breakers'""")]
    key = next((c for c in ("key", "breaker_key", "name") if c in cols), None)
    if key is None or "state" not in cols:
        return []
    from psycopg import sql
    query = sql.SQL("SELECT {}::text, upper({}::text) FROM dbguard_audit.circuit_breakers").format(
        sql.Identifier(key), sql.Identifier("state"))
    return conn.execute(query).fetchall()


BREAKER_STATES = ("CLOSED", "OPEN", "HALF_OPEN")
LAST_SUCCESS = "dbguard_last_successful_check_timestamp_seconds"


def _database_families(conn: psycopg.Connection, *, catalog_dir, domain_schema: str) -> tuple[list, float]:
    """The families read from the database (in one snapshot), and the seconds the
    catalog check took."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    with one_moment(conn):
        started = time.monotonic()
        found, entities = scan(conn, catalog_dir=catalog_dir, domain_schema=domain_schema)
        check_seconds = time.monotonic() - started
        alerts = conn.execute(
            """SELECT alert_type, severity, auto_corrected, count(*), count(*) FILTER (WHERE resolved_at IS NULL)
                 FROM dbguard.data_consistency_alerts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""").fetchall()
        calls, consistent = conn.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE (session_outcome IS NOT DISTINCT FROM 'appointment_booked')
                                                         = appointment_made)
                  FROM {_calls(domain_schema)} WHERE created_at >= now() - interval '24 hours'""").fetchone()
        pending_by_reason = conn.execute("""SELECT reason, count(*) FROM dbguard.manual_review_queue
                                             WHERE status = 'pending' GROUP BY 1 ORDER BY 1""").fetchall()
        oldest = conn.execute("""SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
                                   FROM dbguard.manual_review_queue
                                  WHERE status IN ('pending', 'in_progress')""").fetchone()[0]
        breaker_states = _breakers(conn)
    out = []
    violations = GaugeMetricFamily("dbguard_violations", "Rows that currently break a detection rule.",
                                   labels=["rule", "severity", "entity"])
    for r in found:
        violations.add_metric([r.rule, r.severity, r.entity], r.count)
    out.append(violations)

    checked = GaugeMetricFamily("dbguard_entities_checked", "Rows of each table the detection rules check.",
                                labels=["entity"])
    broken = GaugeMetricFamily("dbguard_entities_with_violations",
                               "Rows of each checked table that break at least one detection rule now "
                               "(a row breaking two rules counts once).", labels=["entity"])
    for e in entities:
        checked.add_metric([e.entity], e.checked)
        broken.add_metric([e.entity], e.with_violations)
    out += [checked, broken]
    rows = sum(e.checked for e in entities)
    out.append(GaugeMetricFamily(
        "dbguard_entities_without_violation_ratio",
        "Overall health: share (0..1) of the checked rows (every table a detection rule checks) that break "
        "no detection rule now; NaN when no row is checked.",
        value=(rows - sum(e.with_violations for e in entities)) / rows if rows else math.nan))

    total = CounterMetricFamily("dbguard_alerts", "Alerts recorded since installation.",
                                labels=["alert_type", "severity", "auto_corrected"])
    open_by: dict[tuple[str, str], int] = {}
    for t, s, ac, n, op in alerts:
        total.add_metric([t, s, str(ac).lower()], n)
        open_by[(t, s)] = open_by.get((t, s), 0) + op
    out.append(total)
    still_open = GaugeMetricFamily("dbguard_alerts_open", "Alerts not yet resolved.", labels=["alert_type", "severity"])
    for (t, s), n in sorted(open_by.items()):
        still_open.add_metric([t, s], n)
    out.append(still_open)

    out.append(GaugeMetricFamily(
        "dbguard_outcome_flag_consistency_ratio",
        "One rule only (outcome_flag_sync), not overall health: share (0..1) of the last 24 hours' calls whose "
        "session_outcome is 'appointment_booked' exactly when appointment_made; NaN when there were no calls.",
        value=consistent / calls if calls else math.nan))
    out.append(GaugeMetricFamily("dbguard_calls_last_24h", "Calls created in the last 24 hours.", value=calls))

    pending = GaugeMetricFamily("dbguard_review_queue_pending", "Manual review entries waiting, by reason.",
                                labels=["reason"])
    for reason, n in pending_by_reason:
        pending.add_metric([reason], n)
    out.append(pending)
    out.append(GaugeMetricFamily("dbguard_review_queue_oldest_open_age_seconds",
                                 "Age of the oldest open manual review entry (0 when none is open).", value=oldest))

    breakers = GaugeMetricFamily(
        "dbguard_circuit_breaker_state",
        "1 for the current state of each circuit breaker (from dbguard_audit.circuit_breakers).",
        labels=["key", "state"])
    for key, state in breaker_states:
        for st in BREAKER_STATES:
            breakers.add_metric([key, st], 1 if state == st else 0)
    out.append(breakers)
    return out, check_seconds


class MetricsCollector:
    """A prometheus_client collector that reads the database on every collect().

    ``connect`` opens the connection for one collection (a new one per scrape when
    served). When it fails, the collection still succeeds with ``dbguard_up 0``
    and the last successful check time of an earlier collection, so that an
    alert on the database being unreachable can fire; the error is kept in
    ``last_error``."""

    def __init__(self, connect: Callable[[], object], *, catalog_dir=None, domain_schema: str = "public",
                 last_success: float | None = None, on_error: Callable[[BaseException], None] | None = None):
        self._connect = connect
        self._on_error = on_error
        self._catalog_dir = catalog_dir
        self._domain_schema = domain_schema
        self.last_success = last_success
        self.last_error: BaseException | None = None

    def collect(self) -> Iterator:
        from prometheus_client.core import GaugeMetricFamily

        started = time.monotonic()
        families: list = []
        check_seconds = math.nan
        try:
            with self._connect() as conn:
                families, check_seconds = _database_families(
                    conn, catalog_dir=self._catalog_dir, domain_schema=self._domain_schema)
            self.last_success = time.time()
            self.last_error = None
        except (psycopg.Error, DbguardError) as exc:
            self.last_error = exc
            if self._on_error:
                self._on_error(exc)
        yield GaugeMetricFamily("dbguard_up", "1 when the database answered and the metrics below are current.",
                                value=0 if self.last_error else 1)
        yield GaugeMetricFamily(LAST_SUCCESS, "Unix time of the last successful check of the rule catalog "
                                "(NaN: none yet).", value=self.last_success or math.nan)
        yield GaugeMetricFamily("dbguard_check_duration_seconds",
                                "Seconds the last check of the rule catalog took (NaN when it failed).",
                                value=check_seconds)
        yield GaugeMetricFamily("dbguard_collect_duration_seconds",
                                "Seconds this collection took, connection included.",
                                value=time.monotonic() - started)
        yield from families


def _exposition(collector: MetricsCollector) -> str:
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry).decode("utf-8")


def metrics(conn: psycopg.Connection, *, catalog_dir=None, domain_schema: str = "public") -> str:
    """Prometheus text exposition of the rule catalog's violations, the checked rows
    with and without a violation, alerts, the outcome/flag agreement of the last
    24 hours' calls, the review queue and circuit breakers,
    plus dbguard_up, the last successful check time and the check duration."""
    collector = MetricsCollector(lambda: nullcontext(conn), catalog_dir=catalog_dir, domain_schema=domain_schema)
    text = _exposition(collector)
    if collector.last_error is not None:
        raise collector.last_error
    return text


def _previous_success(path: str) -> float | None:
    """The last successful check time written to ``path`` by an earlier run, if any."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with open(path, encoding="utf-8") as fh:
            for family in text_string_to_metric_families(fh.read()):
                if family.name == LAST_SUCCESS and family.samples and not math.isnan(family.samples[0].value):
                    return family.samples[0].value
    except (OSError, ValueError):
        pass
    return None


def write_atomically(path: str, text: str) -> None:
    """Write ``path`` through a temporary file in the same directory and a rename, so a
    reader (node_exporter's textfile collector) never sees a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dbguard-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DbguardError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise DbguardError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def collect_metrics(connect: Callable[[], object], *, path: str | None = None, catalog_dir=None,
                    domain_schema: str = "public") -> tuple[str, BaseException | None]:
    """(exposition text, error): when the database cannot be read the text still has
    ``dbguard_up 0`` and the error is returned. With ``path`` the text is also written
    there atomically, keeping the last successful check time of the previous file."""
    collector = MetricsCollector(connect, catalog_dir=catalog_dir, domain_schema=domain_schema,
                                 last_success=_previous_success(path) if path else None)
    text = _exposition(collector)
    if path:
        write_atomically(path, text)
    return text, collector.last_error


def parse_listen(address: str) -> tuple[str, int]:
    """':9187' (every interface), 'HOST:9187' or '[::1]:9187' -> (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise DbguardError(f"invalid --serve {address!r}: use :PORT or HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def serve_metrics(connect: Callable[[], object], address: str, *, catalog_dir=None, domain_schema: str = "public",
                  on_ready: Callable[[str, int], None] | None = None,
                  on_error: Callable[[BaseException], None] | None = None, stop=None) -> None:
    """Serve the metrics over HTTP (/metrics) until ``stop`` (a threading.Event) is set,
    or until interrupted; each scrape reads the database on a new connection."""
    import threading

    from prometheus_client import CollectorRegistry, start_http_server

    host, port = parse_listen(address)
    collector = MetricsCollector(connect, catalog_dir=catalog_dir, domain_schema=domain_schema, on_error=on_error)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise DbguardError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if on_ready:
        on_ready(host, server.server_address[1])
    stop = stop or threading.Event()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
