"""``check`` and ``reconcile``: the rule catalog run against the data.

check: find the offenders of every catalog rule (optionally only rows created
within a window), record one scan alert per offender through
dbguard.raise_alert (never duplicating an open one), close the scan alerts of
offenders that are gone.

reconcile: apply each rule's repair in keyset batches over the offenders'
ids, each batch its own short transaction tagged actor 'system_cron', source
'reconcile_cron'; what the repair cannot fix goes to the manual review queue
(rules with a ``review`` reason). It never deletes a domain row.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Callable

import psycopg
from psycopg import sql

from . import locks
from .catalog import Rule, load_catalog, select_rules, violations_sql
from .errors import DbguardError
from .steps import split

ACTOR = "system_cron"
SOURCE = "reconcile_cron"
DEFAULT_BATCH_SIZE = 1000
_DURATION = re.compile(r"^\s*(\d+)\s*(s|sec|m|min|h|d|w)\s*$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_DURATION_S = 36500 * 86400
_MIN_ID = -(2 ** 63)
ANALYZE_AFTER = 1000


_COVERS = re.compile(r"^--\s*covers:\s*(.+?)\s*$", re.MULTILINE)


def alert_types(rule: Rule) -> list[str]:
    """The alert types a detection rule answers for: its own (scan alerts carry the rule's
    name) and the trigger alert types its file declares with ``-- covers: a, b``."""
    try:
        declared = _COVERS.findall(rule.path.read_text(encoding="utf-8").split("-- @detect", 1)[0])
    except OSError:
        declared = []
    return [rule.name] + sorted({t.strip() for line in declared for t in line.split(",") if t.strip()} - {rule.name})


def entity_types(rule: Rule) -> list[str]:
    """Scan alerts name the table (``calls``), trigger alerts the row (``call``)."""
    return sorted({rule.entity, rule.entity.removesuffix("s")})


def parse_duration(text: str | None) -> timedelta | None:
    """'90s', '15m', '1h', '7d', '2w' → timedelta; None or 'all' → no window."""
    if text is None or text.strip().lower() in ("", "all"):
        return None
    m = _DURATION.match(text.lower())
    if not m:
        raise DbguardError(f"invalid duration {text!r}: use a number and a unit s, m, h, d or w (e.g. 1h, 7d)")
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds > _MAX_DURATION_S:
        # Beyond this `now() - window` leaves PostgreSQL's timestamp range; 'all' means no window.
        raise DbguardError(f"invalid duration {text!r}: at most 100 years (36500d); use 'all' for no window")
    return timedelta(seconds=seconds)


def _text(query: sql.Composable) -> str:
    # Rule SQL may contain '%' (LIKE patterns); we bind our own parameters, so escape it.
    return query.as_string(None).replace("%", "%%")


def _offenders(rule: Rule, domain_schema: str, where: str, columns: str = "*") -> str:
    return f"SELECT {columns} FROM (\n{_text(violations_sql(rule, domain_schema))}\n) v WHERE {where}"


def _window(since: timedelta | None) -> tuple[str, dict]:
    if since is None:
        return "true", {}
    return "v.created_at >= now() - %(since)s", {"since": since}


def _run_rule(conn: psycopg.Connection, rule: Rule, query: str, params: dict) -> list[tuple]:
    try:
        return conn.execute(query, params).fetchall()
    except psycopg.errors.UndefinedColumn as exc:
        raise DbguardError(f"detection rule {rule.name} ({rule.path}): {exc.diag.message_primary}; its @detect "
                           "query must return entity_id, company_id, call_id, created_at, details") from exc


@dataclass
class RuleCheck:
    rule: str
    severity: str
    entity: str
    count: int
    new_alerts: int = 0
    resolved_alerts: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class CheckResult:
    since: str | None
    rules: list[RuleCheck] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    # auto-corrected trigger alerts of types no detection rule covers, resolved by this check
    resolved_corrected: int = 0

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rules)

    @property
    def critical(self) -> int:
        return sum(r.count for r in self.rules if r.severity == "critical")

    def as_dict(self) -> dict:
        return {"since": self.since, "total": self.total, "critical": self.critical,
                "rules": [r.as_dict() for r in self.rules], "violations": self.violations,
                "resolved_corrected": self.resolved_corrected}


def check(conn: psycopg.Connection, *, since: str | timedelta | None = None, rules: list[str] | None = None,
          record: bool = True, limit: int | None = 1000, catalog_dir=None, domain_schema: str = "public") -> CheckResult:
    """Run the detection rules; record scan alerts (unless ``record`` is false).

    ``since``: only rows whose created_at is within that window ('1h', '7d'...).
    ``limit``: at most that many offender rows listed per rule (counts are exact).
    Scan alerts of offenders that are gone are resolved (``resolved_by = 'scan'``)
    when the whole table was scanned (no ``since``)."""
    window = parse_duration(since) if not isinstance(since, timedelta) else since
    where, params = _window(window)
    result = CheckResult(since=None if window is None else str(window))
    for rule in select_rules(load_catalog(catalog_dir), rules):
        offenders = _offenders(rule, domain_schema, where)
        with conn.transaction():
            rows = _run_rule(conn, rule, f"SELECT count(*) FROM ({offenders}) o", params)
            summary = RuleCheck(rule.name, rule.severity, rule.entity, rows[0][0])
            if limit is None or limit > 0:
                cur = conn.execute(f"{offenders} ORDER BY v.entity_id"
                                   + (" LIMIT %(limit)s" if limit is not None else ""), {**params, "limit": limit})
                cols = [d.name for d in cur.description]
                result.violations += [dict(zip(cols, r)) for r in cur.fetchall()]
            covered = {"types": alert_types(rule), "entities": entity_types(rule)}
            if record and window is None:
                # Resolve first, then raise: the anti-join then only meets alerts
                # of earlier checks, whose statistics are known (see ANALYZE below).
                # Every open alert of the rule's types on its entities -- its own scan
                # alerts and the trigger alerts it covers -- whose entity no longer offends.
                summary.resolved_alerts = conn.execute(
                    # Anti-join against the offenders computed once: `NOT IN (subquery)`
                    # re-runs the detection per alert when the set exceeds work_mem.
                    f"""WITH still AS MATERIALIZED (SELECT o.entity_id::text AS entity_id FROM ({offenders}) o)
                        UPDATE dbguard.data_consistency_alerts a
                           SET resolved_at = now(), resolved_by = 'scan'
                         WHERE a.resolved_at IS NULL
                           AND a.alert_type = ANY(%(types)s) AND a.entity_type = ANY(%(entities)s)
                           AND NOT EXISTS (SELECT 1 FROM still s WHERE s.entity_id = a.entity_id)""",
                    {**params, **covered}).rowcount
            if record:
                # One open alert per entity, whoever found it: none where a trigger alert
                # of a covered type is still open for the same row.
                summary.new_alerts = conn.execute(
                    f"""SELECT count(dbguard.raise_alert(o.rule, o.severity, o.entity_type, o.entity_id::text,
                                                        o.description, o.details, 'scan', false, o.rule))
                          FROM ({offenders}) o
                         WHERE NOT EXISTS (
                               SELECT 1 FROM dbguard.data_consistency_alerts t
                                WHERE t.resolved_at IS NULL AND t.detected_by = 'trigger'
                                  AND t.entity_id = o.entity_id::text AND t.entity_type = ANY(%(entities)s)
                                  AND t.alert_type = ANY(%(types)s))""", {**params, **covered}).fetchone()[0]
            if summary.new_alerts >= ANALYZE_AFTER:
                # Many new alerts at once (a first check of a legacy database):
                # refresh the statistics now, or later statements (the next rule,
                # reconcile's alert lookups) are planned for the near-empty table
                # autovacuum last saw -- a linear scan per row or batch.
                conn.execute("ANALYZE dbguard.data_consistency_alerts")
        result.rules.append(summary)
    if record and window is None and not rules:
        # A trigger alert marked auto_corrected that no detection rule answers for records
        # a repair made as the row was written: the violation it names is gone.
        covered = sorted({t for r in load_catalog(catalog_dir) for t in alert_types(r)})
        with conn.transaction():
            result.resolved_corrected = conn.execute(
                """UPDATE dbguard.data_consistency_alerts SET resolved_at = now(), resolved_by = 'scan'
                    WHERE resolved_at IS NULL AND detected_by = 'trigger' AND auto_corrected
                      AND NOT alert_type = ANY(%s)""", (covered,)).rowcount
    return result


@dataclass
class EntityCount:
    """Rows of one table the detection rules check, and how many of them break at least one rule."""
    entity: str
    checked: int
    with_violations: int

    def as_dict(self) -> dict:
        return asdict(self)


def scan(conn: psycopg.Connection, *, catalog_dir=None,
         domain_schema: str = "public") -> tuple[list[RuleCheck], list[EntityCount]]:
    """Every catalog rule run without recording anything: each rule's offenders (counted
    as ``check`` counts them), and per table named as a rule's entity its rows and the
    distinct rows that break at least one rule (a row breaking two rules counts once).
    Only the rules that found offenders run a second time, for the distinct rows, so a
    clean database costs one pass. Tables missing from ``domain_schema`` have no
    EntityCount."""
    catalog = load_catalog(catalog_dir)
    found = [RuleCheck(r.name, r.severity, r.entity, _count(conn, r, domain_schema)) for r in catalog]
    offending: dict[str, list[Rule]] = {}
    for rule, result in zip(catalog, found):
        offending.setdefault(rule.entity, [])
        if result.count:
            offending[rule.entity].append(rule)
    entities = []
    for entity, rules in sorted(offending.items()):
        table = sql.Identifier(domain_schema, entity).as_string(conn)
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
            continue
        ids = "\nUNION ALL\n".join(_offenders(r, domain_schema, "true", "v.entity_id") for r in rules)
        distinct = f"(SELECT count(DISTINCT o.entity_id) FROM ({ids}) o)" if rules else "0"
        with conn.transaction():
            checked, broken = _run_rule(
                conn, rules[0] if rules else catalog[0],
                f"SELECT (SELECT count(*) FROM {table.replace('%', '%%')}), {distinct}", {})[0]
        entities.append(EntityCount(entity, checked, broken))
    return found, entities


@dataclass
class RuleReconcile:
    """What reconcile did for one rule, counted in offending rows (entities): each row
    found is either ``fixed`` or ``remaining``; ``queued_for_review`` rows have a pending
    review entry (however many), ``fixed_and_queued`` of them were also repaired."""
    rule: str
    severity: str
    automatic: bool
    entity: str = ""
    found: int = 0
    fixed: int = 0
    queued_for_review: int = 0
    fixed_and_queued: int = 0
    remaining: int = 0
    batches: int = 0
    longest_batch_seconds: float = 0.0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def outcome(stats: RuleReconcile) -> str:
    """What happened to each row a rule found, in words whose counts add up to ``found``:
    '3 calls: 3 repaired and queued for a person to confirm'."""
    entity = stats.entity or "rows"
    if stats.found == 1:
        entity = entity.removesuffix("s")
    if not stats.found:
        return f"no {entity}"
    queued_only = stats.queued_for_review - stats.fixed_and_queued
    parts = [(stats.fixed - stats.fixed_and_queued, "repaired"),
             (stats.fixed_and_queued, "repaired and queued for a person to confirm"),
             (queued_only, "queued for a person to decide (not repaired)"),
             (stats.remaining - queued_only, "left unchanged (no automatic repair)")]
    return f"{stats.found} {entity}: " + ", ".join(f"{n} {what}" for n, what in parts if n)


def _count(conn: psycopg.Connection, rule: Rule, domain_schema: str) -> int:
    with conn.transaction():
        return _run_rule(conn, rule, f"SELECT count(*) FROM ({_offenders(rule, domain_schema, 'true')}) o", {})[0][0]


def _batch(conn: psycopg.Connection, rule: Rule, domain_schema: str, after: int, batch_size: int,
           stats: RuleReconcile) -> int | None:
    """Repair one batch of offenders with ids after ``after``, in one transaction;
    the last id handled, or None when there is none left."""
    repair = rule.repair_sql(domain_schema)
    with conn.transaction():
        conn.execute("SELECT set_config('dbguard.actor', %s, true), set_config('dbguard.source', %s, true),"
                     " set_config('dbguard.reason', %s, true)", (ACTOR, SOURCE, f"dbguard reconcile {rule.name}"))
        ids = [r[0] for r in conn.execute(
            _offenders(rule, domain_schema, "v.entity_id > %(after)s", "v.entity_id") + " ORDER BY v.entity_id LIMIT %(n)s",
            {"after": after, "n": batch_size})]
        if not ids:
            return None
        entries: list[int] = []  # review entries this batch created or found pending
        for statement in split(repair) if repair else []:
            cur = conn.execute(statement, {"ids": ids})
            if cur.description is not None:  # a SELECT dbguard.enqueue_review(...) row per queued call
                entries += [r[0] for r in cur.fetchall() if isinstance(r[0], int)]
        left = [r[0] for r in conn.execute(
            _offenders(rule, domain_schema, "v.entity_id = ANY(%(ids)s)", "v.entity_id"), {"ids": ids})]
        fixed = sorted(set(ids) - set(left))
        if rule.review and left:
            entries += [r[0] for r in conn.execute(
                f"""SELECT dbguard.enqueue_review(o.call_id, %(reason)s,
                           jsonb_build_object('rule', o.rule, 'entity_type', o.entity_type,
                                              'entity_id', o.entity_id, 'details', o.details))
                      FROM ({_offenders(rule, domain_schema, 'v.entity_id = ANY(%(ids)s)')}) o
                     WHERE o.call_id IS NOT NULL
                        OR NOT EXISTS (SELECT 1 FROM dbguard.manual_review_queue q
                                        WHERE q.status = 'pending' AND q.reason = %(reason)s AND q.call_id IS NULL
                                          AND q.context->>'entity_type' = o.entity_type
                                          AND q.context->>'entity_id' = o.entity_id::text)""",
                {"ids": left, "reason": rule.review}) if isinstance(r[0], int)]
        # Rows, not entries: one row can get two entries (a repair's and the rule's
        # review reason), and a repaired row can be queued for a person to confirm.
        # A row whose entry an earlier run queued waits for a person too.
        queued = {r[0] for r in conn.execute(
            """SELECT coalesce(q.context->>'entity_id', q.call_id::text) FROM dbguard.manual_review_queue q
                WHERE q.id = ANY(%(entries)s)
                   OR (q.status = 'pending' AND q.reason = %(reason)s AND q.context->>'rule' = %(rule)s
                       AND q.context->>'entity_id' = ANY(%(left)s))""",
            {"entries": entries, "reason": rule.review, "rule": rule.name, "left": [str(i) for i in left]})
                  } & {str(i) for i in ids} if entries or (rule.review and left) else set()
        stats.queued_for_review += len(queued)
        stats.fixed_and_queued += len(queued & {str(i) for i in fixed})
        if fixed:
            conn.execute(
                """UPDATE dbguard.data_consistency_alerts
                      SET resolved_at = now(), resolved_by = 'reconcile', auto_corrected = true
                    WHERE resolved_at IS NULL AND entity_type = ANY(%(entities)s) AND entity_id = ANY(%(ids)s)
                      AND alert_type = ANY(%(types)s)""",
                {"entities": entity_types(rule), "ids": [str(i) for i in fixed], "types": alert_types(rule)})
        stats.fixed += len(fixed)
        stats.remaining += len(left)
        return ids[-1]


def reconcile(conn: psycopg.Connection, *, rules: list[str] | None = None, dry_run: bool = False,
              batch_size: int = DEFAULT_BATCH_SIZE, progress: Callable[[int], None] | None = None,
              on_rule: Callable[[Rule, int], None] | None = None, catalog_dir=None,
              domain_schema: str = "public") -> list[RuleReconcile]:
    """Repair the offenders of the catalog rules, in keyset batches of ``batch_size``.

    Each batch is its own transaction (``conn`` must not be inside one).
    ``on_rule(rule, found)`` is called before a rule starts, ``progress(n)``
    after each batch with the number of offenders it handled."""
    if batch_size < 1:
        raise DbguardError(f"--batch-size must be at least 1, not {batch_size}")
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise DbguardError("reconcile runs its own short transactions: commit or roll back the open one first")
    selected = select_rules(load_catalog(catalog_dir), rules)
    # One reconcile per rule at a time; a dry run changes nothing and needs no lock.
    with locks.exclusive(conn, "reconcile", [] if dry_run else [r.name for r in selected]):
        return _reconcile(conn, selected, dry_run, batch_size, progress, on_rule, domain_schema)


def _reconcile(conn, selected, dry_run, batch_size, progress, on_rule, domain_schema) -> list[RuleReconcile]:
    out = []
    for rule in selected:
        stats = RuleReconcile(rule.name, rule.severity, rule.automatic, rule.entity)
        stats.found = _count(conn, rule, domain_schema)
        out.append(stats)
        if on_rule:
            on_rule(rule, stats.found)
        if dry_run or stats.found == 0 or not (rule.automatic or rule.review):
            stats.remaining = stats.found
            continue
        started = time.monotonic()
        after = _MIN_ID
        while True:
            t0 = time.monotonic()
            before = stats.fixed + stats.remaining
            last = _batch(conn, rule, domain_schema, after, batch_size, stats)
            if last is None:
                break
            stats.batches += 1
            stats.longest_batch_seconds = max(stats.longest_batch_seconds, time.monotonic() - t0)
            if progress:
                progress(stats.fixed + stats.remaining - before)
            after = last
        stats.seconds = round(time.monotonic() - started, 3)
        stats.longest_batch_seconds = round(stats.longest_batch_seconds, 3)
    return out
