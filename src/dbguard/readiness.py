"""``dbguard rules readiness``: is a rule in shadow mode ready to be promoted?

A rule in ``alert`` mode leaves every write as written and records an alert
where ``correct`` would have repaired the row and ``enforce`` would have refused
the write. So the alerts a rule raised in alert mode during the last N days
are exactly what promoting it would have done in that time:

- ``would_correct``: writes ``correct`` would have repaired (rows changed behind
  the application's back, each with an alert and a WARNING to the client);
- ``would_refuse``: writes ``enforce`` would have refused (errors the
  application would have seen).

Alert-mode alerts are the trigger alerts of the rule that are not marked
``auto_corrected`` (``details.mode``, where a rule records it, must be
``alert``). The observation starts when the rule was switched to alert mode
(``rule_settings.updated_at``) if that is within the window.

Verdicts, per target mode: ``safe`` (nothing in the window would have been
changed or refused, over at least ``min_hours`` of observation), ``review``
(correct would have repaired rows: look at them with ``dbguard alerts``),
``unsafe`` (enforce would have refused writes: fix those writers first),
``wait`` (observed for less than ``min_hours``), or ``n/a`` (the rule is not
in alert mode).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

import psycopg

from .connection import require_installed
from .errors import DbguardError

# An alert-mode alert of one rule in the window: raised by its trigger, not auto-corrected.
_SHADOW_ALERT = """a.rule = %(rule)s AND a.detected_by = 'trigger' AND NOT a.auto_corrected
                   AND coalesce(a.details->>'mode', 'alert') = 'alert' AND a.detected_at >= %(since)s"""
DEFAULT_DAYS = 7
DEFAULT_MIN_HOURS = 24
_SAMPLES = 5


@dataclass
class Readiness:
    rule: str
    mode: str
    in_mode_since: datetime | None
    observed_hours: float
    alerts: int = 0
    rows: int = 0
    alert_types: dict[str, int] = field(default_factory=dict)
    sample_entities: list[str] = field(default_factory=list)
    last_seen: datetime | None = None
    would_correct: int = 0
    would_refuse: int = 0
    promote_to_correct: str = "n/a"
    promote_to_enforce: str = "n/a"
    advice: str = ""

    def as_dict(self) -> dict:
        out = asdict(self)
        for key in ("in_mode_since", "last_seen"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _verdicts(r: Readiness, days: int, min_hours: float) -> None:
    if r.mode == "off":
        r.advice = "off: nothing is observed; switch it to alert (dbguard rules set-mode %s alert) first" % r.rule
        return
    if r.mode != "alert":
        r.advice = f"already in {r.mode}"
        return
    needed = min(min_hours, days * 24)
    if r.observed_hours < needed:
        r.promote_to_correct = r.promote_to_enforce = "wait"
        r.advice = (f"in alert mode for {r.observed_hours:.1f} h only; observe at least {needed:g} h "
                    f"of normal traffic before promoting")
        return
    window = f"{r.observed_hours / 24:.1f} days"
    if r.alerts == 0:
        r.promote_to_correct = r.promote_to_enforce = "safe"
        r.advice = f"no write in {window} would have been repaired or refused: promote to correct or enforce"
        return
    types = ", ".join(f"{t} {n}" for t, n in sorted(r.alert_types.items(), key=lambda kv: -kv[1]))
    r.promote_to_correct = "review"
    r.promote_to_enforce = "unsafe"
    r.advice = (f"in {window}, {r.alerts} write(s) on {r.rows} row(s) would have been repaired by correct and "
                f"refused by enforce ({types}); see them with `dbguard alerts --type TYPE`, fix the writers "
                "before enforce")


def readiness(conn: psycopg.Connection, *, days: int = DEFAULT_DAYS, rules: list[str] | None = None,
              min_hours: float = DEFAULT_MIN_HOURS) -> list[Readiness]:
    """Per installed rule: what it would have changed or refused in the last ``days`` days
    of alert mode, and whether promoting it is safe."""
    if days < 1:
        raise DbguardError(f"--days must be at least 1, not {days}")
    require_installed(conn)
    installed = [r[0] for r in conn.execute("SELECT rule FROM dbguard.rule_status ORDER BY rule")]
    unknown = sorted(set(rules or []) - set(installed))
    if unknown:
        raise DbguardError(f"unknown rule(s) {', '.join(unknown)}; installed rules: {', '.join(installed)}")
    settings = conn.execute(
        """SELECT r.rule, r.mode, CASE WHEN r.mode = 'alert' THEN s.updated_at END,
                  greatest(now() - make_interval(days => %(days)s),
                           CASE WHEN r.mode = 'alert' THEN s.updated_at END) AS since
             FROM dbguard.rule_status r LEFT JOIN dbguard.rule_settings s USING (rule)
            WHERE %(rules)s::text[] IS NULL OR r.rule = ANY(%(rules)s::text[])
            ORDER BY r.rule""", {"days": days, "rules": rules or None}).fetchall()
    out = []
    for rule, mode, in_mode_since, since in settings:
        params = {"rule": rule, "since": since}
        total, entities, last, hours = conn.execute(
            f"""SELECT count(*), count(DISTINCT (a.entity_type, a.entity_id)), max(a.detected_at),
                       extract(epoch FROM now() - %(since)s::timestamptz) / 3600.0
                  FROM dbguard.data_consistency_alerts a WHERE {_SHADOW_ALERT}""", params).fetchone()
        types = dict(conn.execute(f"""SELECT a.alert_type, count(*) FROM dbguard.data_consistency_alerts a
                                        WHERE {_SHADOW_ALERT} GROUP BY 1 ORDER BY 2 DESC, 1""", params).fetchall())
        samples = [e for (e,) in conn.execute(
            f"""SELECT DISTINCT a.entity_type || ' ' || coalesce(a.entity_id, '?') FROM dbguard.data_consistency_alerts a
                 WHERE {_SHADOW_ALERT} ORDER BY 1 LIMIT %(n)s""", {**params, "n": _SAMPLES})]
        r = Readiness(rule, mode, in_mode_since, round(float(hours), 1), total, entities, types, samples, last,
                      would_correct=total, would_refuse=total)
        _verdicts(r, days, min_hours)
        out.append(r)
    return out
