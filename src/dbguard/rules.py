"""Installed rules, their modes, and what the package ships."""

from __future__ import annotations

import re

import psycopg

from .errors import DbguardError
from .resources import read_sql, sha256, sql_dir

MODES = ("off", "alert", "correct", "enforce")


def shipped_rules() -> dict[str, int]:
    """Each rule shipped in sql/triggers/ and its newest version."""
    from . import compiler

    out = {}
    for d in sorted((sql_dir() / "triggers").iterdir()):
        if not d.is_dir():
            continue
        versions = [int(m.group(1)) for f in d.glob("v*.sql") if (m := re.fullmatch(r"v(\d+)\.sql", f.name))]
        if versions:
            out[d.name] = max(versions)
    # A compiled source is the rule's current version.
    out.update({rule: compiler.load(rule).version for rule in compiler.compiled_rule_names()})
    return dict(sorted(out.items()))


def _shipped_checksum(rule: str, version: int) -> str | None:
    """Checksum of the file this package ships for ``rule`` at ``version``, if any."""
    from . import compiler

    if rule in compiler.compiled_rule_names() and compiler.load(rule).version == version:
        return compiler.load(rule).checksum
    try:
        return sha256(read_sql(f"triggers/{rule}/v{version}.sql"))
    except FileNotFoundError:
        return None


def _installed(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass('dbguard.rule_status')").fetchone()[0] is not None


def rules(conn: psycopg.Connection) -> list[dict]:
    """Every rule with version, mode, guarantee and drift.

    ``drift`` is the database's view (function edited, dropped, trigger
    missing or disabled); ``source`` compares the installed version with the
    file this package ships for that version ('ok', 'differs', 'not_shipped').
    """
    shipped = shipped_rules()
    rows = []
    if _installed(conn):
        cur = conn.execute(
            "SELECT r.rule, r.version, r.mode, r.function_name, r.description, r.drift, r.triggers, i.source_sha256"
            "  FROM dbguard.rule_status r JOIN dbguard.installed_rules i USING (rule) ORDER BY r.rule"
        )
        for rule, version, mode, function, description, drift, triggers, source_sha in cur:
            shipped_sha = _shipped_checksum(rule, version)
            source = "not_shipped" if shipped_sha is None else "ok" if shipped_sha == source_sha else "differs"
            rows.append({
                "rule": rule, "version": version, "shipped_version": shipped.get(rule), "mode": mode,
                "function": function, "triggers": triggers or [], "drift": drift, "source": source,
                "guarantees": description,
            })
    seen = {r["rule"] for r in rows}
    for rule, version in shipped.items():
        if rule not in seen:
            rows.append({"rule": rule, "version": None, "shipped_version": version, "mode": None,
                         "function": None, "triggers": [], "drift": "not_installed", "source": None,
                         "guarantees": None})
    return sorted(rows, key=lambda r: r["rule"])


def set_mode(conn: psycopg.Connection, rule: str, mode: str) -> dict:
    """Switch ``rule`` to ``mode``; takes effect for the next statement of every session."""
    if mode not in MODES:
        raise DbguardError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
    if not _installed(conn):
        raise DbguardError("dbguard is not installed in this database; run dbguard migrate first")
    known = [r[0] for r in conn.execute("SELECT rule FROM dbguard.installed_rules ORDER BY rule")]
    if rule not in known:
        raise DbguardError(f"unknown rule {rule!r}; installed rules: {', '.join(known) or 'none'}")
    with conn.transaction():
        conn.execute(
            """INSERT INTO dbguard.rule_settings AS s (rule, mode) VALUES (%s, %s)
               ON CONFLICT (rule) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now(), updated_by = current_user""",
            (rule, mode),
        )
    return {"rule": rule, "mode": mode}


def reinstall(conn: psycopg.Connection, rule: str) -> dict:
    """Re-install the shipped file of a rule's installed version (undoes drift)."""
    from . import compiler
    from .steps import RuleVersion

    row = conn.execute("SELECT version FROM dbguard.installed_rules WHERE rule = %s", (rule,)).fetchone() \
        if _installed(conn) else None
    if row is None:
        raise DbguardError(f"rule {rule!r} is not installed; run dbguard migrate")
    compiled = rule in compiler.compiled_rule_names() and compiler.load(rule).version == row[0]
    with conn.transaction():
        # A compiled rule's functions are rebuilt from its stored fragments.
        conn.execute(compiler.install_sql([rule]) if compiled else RuleVersion.load(rule, row[0]).install_sql())
    return {"rule": rule, "version": row[0], "reinstalled": True}
