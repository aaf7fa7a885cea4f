"""Installed rules, their modes, and what the package ships."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from .connection import is_installed
from .errors import DbguardError

MODES = ("off", "alert", "correct", "enforce")


def shipped_rules() -> dict[str, int]:
    """Each rule shipped in sql/triggers/ and its version."""
    from .repeatable import shipped_rules as shipped

    return shipped()


def _installed(conn: psycopg.Connection) -> bool:
    return is_installed(conn)


def rules(conn: psycopg.Connection) -> list[dict]:
    """Every rule with version, mode, guarantee and drift.

    ``drift`` is the database's view (function edited, dropped, trigger
    missing or disabled); ``source`` compares what was installed with the
    file this package ships ('ok', 'differs': migrate installs the shipped one,
    'not_shipped').
    """
    from .repeatable import shipped as shipped_objects

    shipped = shipped_rules()
    shipped_sums = {r.rule: r.checksum for r in shipped_objects()[2]}
    rows = []
    if _installed(conn):
        cur = conn.execute(
            "SELECT r.rule, r.version, r.mode, r.function_name, r.description, r.drift, r.triggers, i.source_sha256"
            "  FROM dbguard.rule_status r JOIN dbguard.installed_rules i USING (rule) ORDER BY r.rule"
        )
        for rule, version, mode, function, description, drift, triggers, source_sha in cur:
            if rule not in shipped:
                source = "not_shipped"
            else:
                source = "ok" if shipped_sums[rule] == source_sha else "differs"
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
    set_modes(conn, {rule: mode})
    return {"rule": rule, "mode": mode}


def set_modes(conn: psycopg.Connection, modes: dict[str, str]) -> dict[str, str]:
    """Switch several rules at once, in one transaction: the rules are compiled once (twice when
    some of them have no stored setting yet), and every session sees all the new modes from the
    same moment, or none of them if one is refused."""
    for rule, mode in modes.items():
        if mode not in MODES:
            raise DbguardError(f"unknown mode {mode!r} for rule {rule!r}; use one of: {', '.join(MODES)}")
    if not _installed(conn):
        raise DbguardError("dbguard is not installed in this database; run dbguard migrate first")
    known = [r[0] for r in conn.execute("SELECT rule FROM dbguard.installed_rules ORDER BY rule")]
    unknown = sorted(set(modes) - set(known))
    if unknown:
        raise DbguardError(f"unknown rule {unknown[0]!r}; installed rules: {', '.join(known) or 'none'}")
    if not modes:
        return {}
    # Every statement on dbguard.rule_settings recompiles the rules, and INSERT ... ON CONFLICT
    # DO UPDATE fires both the INSERT and the UPDATE statement triggers: so one UPDATE of the
    # rules that have a setting, and an INSERT only for those that have none yet.
    with conn.transaction():
        stored = {r for (r,) in conn.execute("SELECT rule FROM dbguard.rule_settings WHERE rule = ANY(%s) FOR UPDATE",
                                             (list(modes),))}
        stored_modes = {r: m for r, m in modes.items() if r in stored}
        new_modes = {r: m for r, m in modes.items() if r not in stored}
        if stored_modes:
            conn.execute(
                """UPDATE dbguard.rule_settings s SET mode = m.value, updated_at = now(), updated_by = current_user
                     FROM jsonb_each_text(%s::jsonb) AS m WHERE s.rule = m.key""",
                (Jsonb(stored_modes),))
        if new_modes:
            conn.execute(
                """INSERT INTO dbguard.rule_settings (rule, mode)
                   SELECT m.key, m.value FROM jsonb_each_text(%s::jsonb) AS m
                   ON CONFLICT (rule) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now(),
                                                    updated_by = current_user""",
                (Jsonb(new_modes),))
    return dict(modes)


def reinstall(conn: psycopg.Connection, rule: str) -> dict:
    """Re-install the shipped file of an installed rule (undoes drift); its mode stays."""
    from .repeatable import Rule, _stale_triggers

    installed = _installed(conn) and conn.execute(
        "SELECT 1 FROM dbguard.installed_rules WHERE rule = %s", (rule,)).fetchone() is not None
    if not installed:
        raise DbguardError(f"rule {rule!r} is not installed; run dbguard migrate")
    try:
        shipped = Rule.load(rule)
    except FileNotFoundError:
        raise DbguardError(f"rule {rule!r} is not shipped by this package; nothing to re-install it from") from None
    with conn.transaction():
        conn.execute(_stale_triggers(conn, shipped) + shipped.install_sql())
    return {"rule": rule, "version": shipped.version, "reinstalled": True}
