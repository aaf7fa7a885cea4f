"""The daily report as one self-contained HTML page: inline CSS and inline SVG
charts, no script, no font, image or stylesheet from elsewhere, so it opens
offline, in a mail attachment or from a ticket. Every value from the database
is HTML-escaped."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from html import escape

COLORS = {"critical": "#c0392b", "warning": "#e08e0b", "info": "#4c78a8"}
SEVERITIES = ("critical", "warning", "info")
ACCENT = "#2f6f8f"
THRESHOLD_PCT = 95  # the DbguardOutcomeFlagAgreementLow alert in monitoring/prometheus-rules.yml
SECTIONS = ("summary", "alert-trend", "consistency-trend", "by-rule", "by-type", "top-offenders", "review-queue")

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f5f7; color: #1f2933; font: 14px/1.45 system-ui, -apple-system, "Segoe UI",
       Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 40px; }
header h1 { margin: 0 0 2px; font-size: 22px; }
header p { margin: 0; color: #52606d; }
section { background: #fff; border: 1px solid #dde3e9; border-radius: 8px; padding: 16px 20px; margin-top: 16px; }
section h2 { margin: 0 0 4px; font-size: 16px; }
section p.note { margin: 0 0 10px; color: #52606d; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; }
.tile { border: 1px solid #dde3e9; border-radius: 6px; padding: 10px 12px; border-top: 4px solid #9aa5b1; }
.tile.bad { border-top-color: #c0392b; } .tile.warn { border-top-color: #e08e0b; } .tile.good { border-top-color: #2e8540; }
.tile .label { color: #52606d; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.tile .value { font-size: 26px; font-weight: 650; margin: 2px 0; }
.tile .sub { color: #52606d; font-size: 12px; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; align-items: start; }
svg { width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #52606d; }
svg text.label { fill: #1f2933; font-size: 12px; }
svg text.empty { font-size: 13px; }
.legend { display: flex; gap: 16px; font-size: 12px; color: #52606d; margin: 4px 0 0; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px;
                       margin-right: 5px; background: var(--c); vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e4e8ec; }
th { color: #52606d; font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.sev { display: inline-block; padding: 0 6px; border-radius: 9px; color: #fff; font-size: 11px; background: var(--c); }
.none { color: #7b8794; font-style: italic; }
footer { margin-top: 18px; color: #7b8794; font-size: 12px; text-align: center; }
@media (max-width: 760px) { .tiles { grid-template-columns: repeat(2, 1fr); } .two { grid-template-columns: 1fr; } }
@media print { body { background: #fff; } section { break-inside: avoid; } }
"""


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}{suffix}" if abs(value) < 1000 else f"{value:,.0f}{suffix}"
    return f"{value:,}{suffix}"


def _nice_ceiling(value: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step): a round axis maximum >= value, divided into ``ticks`` round steps."""
    if value <= 0:
        return ticks, 1
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1:
        step = 1
    return step * math.ceil(value / step), step


def _day_label(day: str) -> str:
    return date.fromisoformat(day).strftime("%b %d")


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{_e(label)}">'
            + "".join(body) + "</svg>")


def stacked_bars(days: list[dict], width: int = 960, height: int = 240) -> str:
    """Alerts per day, one bar per day, stacked by severity."""
    left, right, top, bottom = 44, 10, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(d.get(s, 0) for s in SEVERITIES) for d in days]
    ymax, step = _nice_ceiling(max(totals, default=0))
    body = []
    for i in range(int(ymax / step) + 1):
        y = top + plot_h - plot_h * (i * step) / ymax
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e8ec"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(int(i * step))}</text>')
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.72, 1)
    for i, d in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for s in reversed(SEVERITIES):  # info at the bottom, critical on top
            n = d.get(s, 0)
            if not n:
                continue
            h = plot_h * n / ymax
            y -= h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{COLORS[s]}">'
                        f'<title>{_e(d["day"])}: {n} {s}</title></rect>')
        if i % 7 == 0 or i == len(days) - 1:
            body.append(f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                        f'{_e(_day_label(d["day"]))}</text>')
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9aa5b1"/>')
    if not any(totals):
        body.append(f'<text class="empty" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                    f'text-anchor="middle">No alerts in these {len(days)} days</text>')
    return _svg(width, height, "Alerts per day by severity", body)


def line_chart(days: list[dict], width: int = 960, height: int = 220) -> str:
    """Outcome/flag agreement per day (%), with gaps on days without calls and the alert threshold."""
    left, right, top, bottom = 44, 10, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [d["outcome_flag_consistency_pct"] for d in days]
    known = [v for v in values if v is not None]
    low = min([THRESHOLD_PCT, *known])
    ymin = max(0, math.floor((low - 5) / 10) * 10)
    span = 100 - ymin

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * (v - ymin) / span

    slot = plot_w / max(len(days), 1)
    body = []
    for v in range(ymin, 101, 10 if span > 40 else 5):
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y_of(v):.1f}" y2="{y_of(v):.1f}" stroke="#e4e8ec"/>')
        body.append(f'<text x="{left - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end">{v} %</text>')
    ty = y_of(THRESHOLD_PCT)
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{COLORS["critical"]}" '
                f'stroke-dasharray="5 4"/>')
    body.append(f'<text x="{left + 6}" y="{ty - 5:.1f}" style="fill:{COLORS["critical"]}">'
                f'alert below {THRESHOLD_PCT} %</text>')
    segment: list[str] = []
    segments = [segment]
    for i, (d, v) in enumerate(zip(days, values)):
        x = left + i * slot + slot / 2
        if v is None:
            segment = []
            segments.append(segment)
        else:
            segment.append(f"{x:.1f},{y_of(v):.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y_of(v):.1f}" r="3" fill="{ACCENT}">'
                        f'<title>{_e(d["day"])}: {v} % of {d["calls"]} calls</title></circle>')
        if i % 7 == 0 or i == len(days) - 1:
            body.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">{_e(_day_label(d["day"]))}</text>')
    body[:0] = [f'<polyline points="{" ".join(s)}" fill="none" stroke="{ACCENT}" stroke-width="2"/>'
                for s in segments if len(s) > 1]
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#9aa5b1"/>')
    if not known:
        body.append(f'<text class="empty" x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                    f'text-anchor="middle">No calls in these {len(days)} days</text>')
    return _svg(width, height, "Outcome/flag agreement per day", body)


def horizontal_bars(items: list[tuple[str, float, str]], width: int = 470, empty: str = "Nothing to show") -> str:
    """One bar per (label, value, colour), largest first as given."""
    row, top = 24, 4
    # Text cannot be measured here: 7.2 px per character of the 12 px label font is a safe estimate.
    label_w = min(max(max((len(label) for label, _, _ in items), default=10) * 7.2 + 16, 80), width * 0.55)
    value_w = 44
    plot_w = width - label_w - value_w
    height = top * 2 + row * max(len(items), 1)
    vmax = max((v for _, v, _ in items), default=0) or 1
    body = []
    for i, (label, v, color) in enumerate(items):
        y = top + i * row
        w = max(plot_w * v / vmax, 2 if v else 0)
        body.append(f'<text class="label" x="{label_w - 8:.1f}" y="{y + 16}" text-anchor="end">{_e(label)}</text>')
        body.append(f'<rect x="{label_w:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="2" fill="{color}">'
                    f'<title>{_e(label)}: {_num(v)}</title></rect>')
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{_num(v)}</text>')
    if not items:
        body.append(f'<text class="empty" x="{width / 2:.1f}" y="{top + 16}" text-anchor="middle">{_e(empty)}</text>')
    return _svg(width, height, "bar chart", body)


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset(), empty: str = "none") -> str:
    if not rows:
        return f'<p class="none">{_e(empty)}</p>'
    head = "".join(f'<th class="num">{_e(h)}</th>' if i in numeric else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(
        f'<td class="num">{_num(c)}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sev(severity: str) -> str:
    return f'<span class="sev" style="--c:{COLORS.get(severity, "#7b8794")}">{_e(severity)}</span>'


def _tile(label: str, value: str, sub: str, state: str) -> str:
    return (f'<div class="tile {state}"><div class="label">{_e(label)}</div><div class="value">{value}</div>'
            f'<div class="sub">{sub}</div></div>')


def _legend() -> str:
    return '<div class="legend">' + "".join(f'<span style="--c:{COLORS[s]}">{s}</span>' for s in SEVERITIES) + "</div>"


def _section(ident: str, title: str, note: str, content: str) -> str:
    return (f'<section id="{ident}"><h2>{_e(title)}</h2>' + (f'<p class="note">{note}</p>' if note else "")
            + content + "</section>")


def render_html(data: dict, *, version: str = "") -> str:
    """The report of ``reporting.report`` as a self-contained HTML page."""
    v, e, o = data["violations"], data["entities"], data["open_alerts"]
    a, c, q = data["alerts"], data["calls"], data["review_queue"]
    trend = data["trend"]
    start, end = data["period"]["start"][:16].replace("T", " "), data["period"]["end"][:16].replace("T", " ")
    as_of = data["as_of"][:16].replace("T", " ")
    oldest = next((b["age"] for b in reversed(q["open_by_age"]) if b["open"]), None)
    rate = c["outcome_flag_consistency_pct"]
    healthy = e["without_violation_pct"]
    wow = a["week_over_week_pct"]
    arrow = {"up": "&#9650;", "down": "&#9660;", "flat": "&#9654;", "new": "&#9733;"}[a["trend"]]

    tiles = "".join([
        _tile("Open violations (now)", _num(v["total"]), f"{_num(v['critical'])} critical",
              "bad" if v["critical"] else "warn" if v["total"] else "good"),
        _tile("Rows without a violation (now)", _num(healthy, " %"),
              f"{_num(e['checked'] - e['with_violations'])} of {_num(e['checked'])} rows checked",
              "" if healthy is None else "good" if e["with_violations"] == 0 else "warn"),
        _tile("Open alerts (now)", _num(o["total"]), f"{_num(o['critical'])} critical",
              "bad" if o["critical"] else "warn" if o["total"] else "good"),
        _tile("Alerts in period", _num(a["total"]),
              f"{arrow} {a['trend']}" + (f" {wow:+.1f} % vs. week before" if wow is not None else
                                         f", week before: {a['week_before']}")
              + f"; {_num(a['auto_correction_rate_pct'], ' %') if a['total'] else 'n/a'} auto-corrected, "
              f"{_num(a['resolved'])} resolved",
              "warn" if a["trend"] in ("up", "new") else "good"),
        _tile("Outcome/flag agreement (period)", _num(rate, " %"),
              f"one rule (outcome_flag_sync): {_num(c['consistent'])} of {_num(c['total'])} calls agree",
              "" if rate is None else "bad" if rate < THRESHOLD_PCT else "good"),
        _tile("Manual review (now)", _num(q["pending"]), f"pending; oldest open: {_e(oldest or 'none')}",
              "warn" if q["pending"] else "good"),
    ])

    rules_open = sorted((r for r in v["by_rule"] if r["count"]),
                        key=lambda r: (SEVERITIES.index(r["severity"]) if r["severity"] in SEVERITIES else 3,
                                       -r["count"], r["rule"]))
    by_rule = '<div class="two">' + horizontal_bars(
        [(r["rule"], r["count"], COLORS.get(r["severity"], "#7b8794")) for r in rules_open],
        empty="No open violations") + _table(
        ["rule", "severity", "entity", "open"],
        [[_e(r["rule"]), _sev(r["severity"]), _e(r["entity"]), r["count"]] for r in rules_open], {3},
        empty="No rule has an open violation.") + "</div>"

    types = a["by_type"]
    by_type = '<div class="two">' + horizontal_bars(
        [(t["alert_type"], t["count"], COLORS.get(t["severity"], "#7b8794")) for t in types],
        empty="No alerts in the period") + _table(
        ["alert type", "severity", "alerts", "auto-corrected", "open now"],
        [[_e(t["alert_type"]), _sev(t["severity"]), t["count"], t["auto_corrected"], t["open"]] for t in types],
        {2, 3, 4}, empty="No alerts in the period.") + "</div>"

    companies = data.get("top_companies", [])
    offenders = '<div class="two"><div><h3 style="font-size:14px;margin:6px 0">Top issues</h3>' + _table(
        ["rule", "severity", "entity", "open"],
        [[_e(t["rule"]), _sev(t["severity"]), _e(t["entity"]), t["count"]] for t in data["top_issues"]], {3},
        empty="No open issues.") + '</div><div><h3 style="font-size:14px;margin:6px 0">Companies with the most ' \
        'open violations</h3>' + horizontal_bars(
        [(co.get("name") or (f"company {co['company_id']}" if co["company_id"] is not None else "no company"),
          co["violations"], COLORS["critical"] if co["critical"] else COLORS["warning"]) for co in companies],
        empty="No offending company") + "</div></div>"

    review = '<div class="two">' + horizontal_bars(
        [(b["age"], b["open"], ACCENT) for b in q["open_by_age"]]) + _table(
        ["reason", "pending"], [[_e(r), n] for r, n in sorted(q["by_reason"].items(), key=lambda x: -x[1])], {1},
        empty="Nothing waits for review.") + "</div>"

    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>dbguard daily report {_e(start)} – {_e(end)} UTC</title><style>{CSS}</style></head><body><main>",
        f"<header><h1>dbguard daily report</h1><p>period {_e(start)} – {_e(end)} UTC · figures marked "
        f"(now) as of {_e(as_of)} UTC · generated {generated}</p></header>",
        _section("summary", "Summary", "", f'<div class="tiles">{tiles}</div>'),
        _section("alert-trend", f"Alerts per day, last {trend['days']} days",
                 "Alerts recorded by the rules at write time and by scans, by severity (UTC days).",
                 stacked_bars(trend["alerts_per_day"]) + _legend()),
        _section("consistency-trend", f"Outcome/flag agreement per day, last {trend['days']} days",
                 "Share of each day's calls whose session_outcome and appointment_made agree "
                 "(one rule: outcome_flag_sync). Gaps: days without calls.",
                 line_chart(trend["outcome_flag_consistency_per_day"])),
        _section("by-rule", "Open violations by rule and severity (now)",
                 "Rows that break a detection rule now (<code>dbguard check</code>); <code>dbguard reconcile</code> repairs "
                 "the automatic ones.", by_rule),
        _section("by-type", "Alerts of the period by type", "", by_type),
        _section("top-offenders", "Top offenders", "Critical first, then by count.", offenders),
        _section("review-queue", "Manual review queue",
                 "Open entries (pending or in progress) by age, and pending entries by reason "
                 "(<code>dbguard review</code>).", review),
        f"<footer>dbguard {_e(version)} · dbguard_audit views hold the detail (docs/analysts.md)</footer>",
        "</main></body></html>\n",
    ]
    return "\n".join(parts)
