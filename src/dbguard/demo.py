"""``dbguard demo``: the whole tool on sample data, before and after.

Works in its own database (``dbguard_demo``, re-created each time) on the server
of the resolved DSN -- the embedded one by default -- so it never writes sample
data into a real database.
"""

from __future__ import annotations

from typing import Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .backfill import KINDS, backfill
from .connection import connect
from .detection import check, outcome, reconcile
from .migrator import migrate
from .reporting import format_report, report
from .sample_data import load_sample_data
from .tables import format_table

DEMO_DATABASE = "dbguard_demo"
DOMAIN_TABLES = ("calls", "appointments", "customers", "leads", "staff")


def _fresh_database(dsn: str, name: str) -> str:
    params = conninfo_to_dict(dsn)
    with connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params["dbname"] = name
    return make_conninfo(**params)


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: conn.execute(sql.SQL("SELECT count(*) FROM public.{}").format(sql.Identifier(t))).fetchone()[0]
            for t in DOMAIN_TABLES}


def _desync(conn: psycopg.Connection) -> tuple[int, int]:
    """(confirmed calls, confirmed calls without an appointment)."""
    return conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS "
        "(SELECT 1 FROM public.appointments a WHERE a.call_id = c.id)) FROM public.calls c "
        "WHERE c.booking_confirmed").fetchone()


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())


def demo(dsn: str, *, database: str = DEMO_DATABASE, echo: Callable[[str], None] = print) -> dict:
    """Migrate a fresh demo database, load sample data with known inconsistencies,
    then check -> backfill -> reconcile -> check -> report, echoing each step."""
    target = _fresh_database(dsn, database)
    echo(f"== 1. migrate a fresh database {database!r}")
    applied = migrate(target, notify=lambda _m: None).applied
    echo(f"   {len(applied)} migrations applied, every rule in mode 'correct'")

    with connect(target, autocommit=True) as conn:
        echo("== 2. load sample data (today's traffic through the rules, older rows as legacy data)")
        load_sample_data(conn)
        counts_before = _counts(conn)
        confirmed, missing = _desync(conn)
        echo(f"   {confirmed} calls say booking_confirmed, {missing} of them have no appointment "
             f"({round(100 * missing / confirmed)} %)")

        echo("== 3. check: what is wrong")
        before = check(conn, record=True, limit=0)
        before_counts = {r.rule: r.count for r in before.rules}
        echo(_indent(format_table(["rule", "severity", "violations"],
                                  [[r.rule, r.severity, r.count] for r in before.rules if r.count])))

        echo("== 4. backfill: recreate what the legacy code lost")
        backfills = {}
        for kind in KINDS:
            result = backfill(conn, kind)
            backfills[kind] = result
            echo(f"   backfill {kind:13} created {result.created}, updated {result.updated}, "
                 f"skipped {result.skipped}, review {result.review}, errors {result.errors}")

        echo("== 5. reconcile: repair the rest in short batches, queue what needs a person")
        fixes = reconcile(conn)
        echo(_indent(format_table(["rule", "what happened to each row found"],
                                  [[f.rule, outcome(f)] for f in fixes if f.found])))

        echo("== 6. check again")
        after = check(conn, record=True, limit=0)
        after_counts = {r.rule: r.count for r in after.rules}
        echo(_indent(format_table(["rule", "before", "after"],
                                  [[rule, n, after_counts.get(rule, 0)] for rule, n in before_counts.items()
                                   if n or after_counts.get(rule)])))
        confirmed_after, missing_after = _desync(conn)
        echo(f"   confirmed calls without an appointment: {missing} -> {missing_after}")
        counts_after = _counts(conn)
        reviews = conn.execute("SELECT count(*) FROM dbguard.manual_review_queue WHERE status = 'pending'"
                               ).fetchone()[0]
        echo(f"   {reviews} review entries wait in the manual review queue (dbguard review)")

        echo("== 7. report")
        daily = report(conn)
        echo(format_report(daily, "text").rstrip())
    echo(f"\nThe demo database stays for you to explore: dbguard --dsn '{target}' status")
    return {
        "database": target,
        "migrations": applied,
        "violations_before": before_counts,
        "violations_after": after_counts,
        "confirmed_without_appointment": {"before": missing, "after": missing_after},
        "backfills": {k: v.as_dict() for k, v in backfills.items()},
        "reconcile": [{**f.as_dict(), "outcome": outcome(f)} for f in fixes],
        "rows_before": counts_before,
        "rows_after": counts_after,
        "pending_reviews": reviews,
        "report": daily,
    }
