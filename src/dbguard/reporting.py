"""``report`` (the daily report) and ``metrics`` (Prometheus text format)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time as dtime, timedelta, timezone

import psycopg

from .detection import check
from .errors import DbguardError

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


def report(conn: psycopg.Connection, *, day: date | str | None = None, catalog_dir=None,
           domain_schema: str = "public") -> dict:
    """The daily report: open violations now (totals, by rule, top issues),
    alerts of the period (by type, auto-correction rate, week-over-week trend),
    consistency rate of the period's calls, the review queue.

    The period is the UTC day ``day``, or the last 24 hours when not given."""
    start, end = _period(day)
    found = check(conn, record=False, limit=0, catalog_dir=catalog_dir, domain_schema=domain_schema)
    by_rule = [{"rule": r.rule, "severity": r.severity, "entity": r.entity, "count": r.count} for r in found.rules]
    severity_rank = {"critical": 0, "warning": 1, "info": 2}
    top = sorted((r for r in by_rule if r["count"]),
                 key=lambda r: (severity_rank.get(r["severity"], 3), -r["count"], r["rule"]))[:TOP_ISSUES]

    window = {"start": start, "end": end, "wstart": start - timedelta(days=7), "wend": end - timedelta(days=7)}
    by_type = [
        {"alert_type": t, "severity": s, "count": n, "auto_corrected": ac, "open": op}
        for t, s, n, ac, op in conn.execute(
            """SELECT alert_type, max(severity), count(*), count(*) FILTER (WHERE auto_corrected),
                      count(*) FILTER (WHERE resolved_at IS NULL)
                 FROM dbguard.data_consistency_alerts
                WHERE detected_at >= %(start)s AND detected_at < %(end)s
                GROUP BY alert_type ORDER BY count(*) DESC, alert_type""", window)]
    total = sum(t["count"] for t in by_type)
    auto = sum(t["auto_corrected"] for t in by_type)
    week_before = conn.execute(
        "SELECT count(*) FROM dbguard.data_consistency_alerts WHERE detected_at >= %(wstart)s AND detected_at < %(wend)s",
        window).fetchone()[0]
    calls, consistent = conn.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE (session_outcome IS NOT DISTINCT FROM 'appointment_booked')
                                                     = appointment_made)
              FROM {_calls(domain_schema)} WHERE created_at >= %(start)s AND created_at < %(end)s""",
        window).fetchone()
    pending = dict(conn.execute(
        "SELECT reason, count(*) FROM dbguard.manual_review_queue WHERE status = 'pending' GROUP BY reason").fetchall())
    _end_read(conn)
    change = _pct(total - week_before, week_before)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "violations": {"total": found.total, "critical": found.critical, "by_rule": by_rule},
        "top_issues": top,
        "alerts": {
            "total": total, "auto_corrected": auto, "auto_correction_rate_pct": _pct(auto, total),
            "by_type": by_type, "week_before": week_before, "week_over_week_pct": change,
            "trend": "new" if week_before == 0 and total else
                     "up" if total > week_before else "down" if total < week_before else "flat",
        },
        "calls": {"total": calls, "consistent": consistent, "consistency_rate_pct": _pct(consistent, calls)},
        "review_queue": {"pending": sum(pending.values()), "by_reason": pending},
    }


def _end_read(conn: psycopg.Connection) -> None:
    # Read-only work: do not leave the caller's connection idle in a transaction.
    if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        conn.rollback()


def _calls(domain_schema: str) -> str:
    from .catalog import quote_schema
    return f"{quote_schema(domain_schema)}.calls"


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value}"


def format_report(data: dict, fmt: str = "text") -> str:
    """The report as 'text', 'markdown' or 'json'."""
    if fmt == "json":
        return json.dumps(data, indent=2, default=str)
    md = fmt == "markdown"
    v, a, c, q = data["violations"], data["alerts"], data["calls"], data["review_queue"]
    lines = [("# " if md else "") + f"dbguard daily report {data['period']['start'][:16]} – {data['period']['end'][:16]} UTC", ""]

    def section(title: str) -> None:
        lines.extend([("## " if md else "") + title, "" if md else "-" * len(title)])

    def table(header: list[str], rows: list[list]) -> None:
        if not rows:
            lines.append("(none)")
        elif md:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines.extend("| " + " | ".join(_fmt(x) for x in r) + " |" for r in rows)
        else:
            widths = [max(len(h), *(len(_fmt(r[i])) for r in rows)) for i, h in enumerate(header)]
            lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
            lines.extend("  ".join(_fmt(x).ljust(w) for x, w in zip(r, widths)).rstrip() for r in rows)
        lines.append("")

    bullet = "- " if md else "  "
    section("Totals")
    lines += [f"{bullet}open violations: {v['total']} ({v['critical']} critical)",
              f"{bullet}alerts in period: {a['total']} (week before: {a['week_before']}, "
              f"week over week: {_fmt(a['week_over_week_pct'])} %, trend {a['trend']})",
              f"{bullet}auto-correction rate: {_fmt(a['auto_correction_rate_pct'])} % "
              f"({a['auto_corrected']} of {a['total']} alerts)",
              f"{bullet}calls in period: {c['total']}, outcome/flag consistency {_fmt(c['consistency_rate_pct'])} %",
              f"{bullet}manual review pending: {q['pending']}", ""]
    section("Top issues")
    table(["rule", "severity", "entity", "open"], [[t["rule"], t["severity"], t["entity"], t["count"]]
                                                   for t in data["top_issues"]])
    section("Open violations by rule")
    table(["rule", "severity", "entity", "open"], [[r["rule"], r["severity"], r["entity"], r["count"]]
                                                   for r in v["by_rule"]])
    section("Alerts by type")
    table(["alert_type", "severity", "alerts", "auto_corrected", "still_open"],
          [[t["alert_type"], t["severity"], t["count"], t["auto_corrected"], t["open"]] for t in a["by_type"]])
    return "\n".join(lines).rstrip() + "\n"


def _label(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name: str, labels: dict, value) -> str:
    inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
    number = "NaN" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))
    return f"{name}{{{inner}}} {number}" if inner else f"{name} {number}"


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


def metrics(conn: psycopg.Connection, *, catalog_dir=None, domain_schema: str = "public") -> str:
    """Prometheus text exposition (format 0.0.4) of violations, alerts, the
    consistency rate of the last 24 hours, the review queue and circuit breakers."""
    found = check(conn, record=False, limit=0, catalog_dir=catalog_dir, domain_schema=domain_schema)
    out: list[str] = []

    def family(name: str, kind: str, help_text: str, samples: list[tuple[dict, object]], sample_name=None) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(_sample(sample_name or name, labels, value) for labels, value in samples)

    family("dbguard_violations", "gauge", "Rows that currently break a detection rule.",
           [({"rule": r.rule, "severity": r.severity, "entity": r.entity}, r.count) for r in found.rules])
    alerts = conn.execute(
        """SELECT alert_type, severity, auto_corrected, count(*), count(*) FILTER (WHERE resolved_at IS NULL)
             FROM dbguard.data_consistency_alerts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""").fetchall()
    family("dbguard_alerts", "counter", "Alerts recorded since installation.",
           [({"alert_type": t, "severity": s, "auto_corrected": str(ac).lower()}, n) for t, s, ac, n, _ in alerts],
           sample_name="dbguard_alerts_total")
    open_by: dict[tuple[str, str], int] = {}
    for t, s, _, _, op in alerts:
        open_by[(t, s)] = open_by.get((t, s), 0) + op
    family("dbguard_alerts_open", "gauge", "Alerts not yet resolved.",
           [({"alert_type": t, "severity": s}, n) for (t, s), n in sorted(open_by.items())])
    calls, consistent = conn.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE (session_outcome IS NOT DISTINCT FROM 'appointment_booked')
                                                     = appointment_made)
              FROM {_calls(domain_schema)} WHERE created_at >= now() - interval '24 hours'""").fetchone()
    family("dbguard_consistency_rate", "gauge",
           "Share of the last 24 hours' calls whose session_outcome and appointment_made agree (NaN: no calls).",
           [({}, consistent / calls if calls else None)])
    family("dbguard_calls_last_24h", "gauge", "Calls created in the last 24 hours.", [({}, calls)])
    pending = conn.execute(
        "SELECT reason, count(*) FROM dbguard.manual_review_queue WHERE status = 'pending' GROUP BY 1 ORDER BY 1").fetchall()
    family("dbguard_review_queue_pending", "gauge", "Manual review entries waiting, by reason.",
           [({"reason": r}, n) for r, n in pending])
    breakers = _breakers(conn)
    family("dbguard_circuit_breaker_state", "gauge",
           "1 for the current state of each circuit breaker (from dbguard_audit.circuit_breakers).",
           [({"key": k, "state": st}, 1 if state == st else 0) for k, state in breakers for st in BREAKER_STATES])
    _end_read(conn)
    return "\n".join(out) + "\n"
