"""What is installed in a database, and whether it is still what dbguard installed."""

from __future__ import annotations

from dataclasses import asdict

import psycopg

from .migrator import migration_status
from .repeatable import drift as object_drift
from .rules import rules


def status(conn: psycopg.Connection) -> dict:
    """Migrations applied/pending, rules with version and mode, and drift.

    ``problems`` lists, in words, everything a DBA should look at: pending or
    edited migrations, rules whose function was changed by hand, dropped or
    disabled, and rules whose installed version is older than the shipped one.
    """
    migrations = migration_status(conn)
    rule_rows = rules(conn)
    objects = object_drift(conn)
    problems = []
    pending = [m.id for m in migrations if not m.applied]
    if pending:
        problems.append(f"{len(pending)} migration(s) pending: {', '.join(pending)} (run dbguard migrate)")
    for m in migrations:
        if m.checksum == "modified":
            problems.append(f"migration {m.id} was edited after it was applied")
    for r in rule_rows:
        if r["drift"] == "not_installed":
            continue
        if r["drift"] != "none":
            problems.append(f"rule {r['rule']}: drift ({r['drift']}) in {r['function']}; "
                            f"dbguard rules reinstall {r['rule']} restores the shipped v{r['version']}")
        if r["source"] == "differs":
            problems.append(f"rule {r['rule']}: v{r['version']} installed, v{r['shipped_version']} shipped "
                            "with a different source (run dbguard migrate)")
    for o in objects:
        if o["drift"] == "pending":
            problems.append(f"{o['kind']} {o['name']}: the shipped source changed (run dbguard migrate)")
        else:
            schema = "dbguard_audit" if o["kind"] == "view" else "dbguard"
            problems.append(f"{o['kind']} {schema}.{o['name']}: drift ({o['drift']}); "
                            "dbguard migrate re-installs the shipped one")
    return {
        "server_version": f"{conn.info.server_version // 10000}.{conn.info.server_version % 10000}",
        "database": conn.info.dbname,
        "migrations": [asdict(m) for m in migrations],
        "pending": pending,
        "rules": rule_rows,
        "objects": objects,
        "drift": [r["rule"] for r in rule_rows if r["drift"] not in ("none", "not_installed")]
                 + [f"{o['kind']} {o['name']}" for o in objects if o["drift"] != "pending"],
        "problems": problems,
        "ok": not problems,
    }
