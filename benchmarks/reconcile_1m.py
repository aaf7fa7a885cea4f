"""Benchmark: check and reconcile on ~1 M calls with 100 k inconsistent rows.

    .venv/bin/python benchmarks/reconcile_1m.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Creates a scratch database next to the given one (dropped at the end), migrates
it, loads N calls of which every tenth claims appointment_made = true without an
appointment (legacy rows, triggers bypassed), then times `dbguard check` and
`dbguard check` (all rules, recording one scan alert per offender) and
`dbguard reconcile --batch-size B` (each batch its own transaction: flags rolled
back, a manual review entry per call, the call's alert resolved).
"""

from __future__ import annotations

import argparse
import time
import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True, help="a server to create the scratch database on")
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--every", type=int, default=10, help="one inconsistent call in this many")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    args = ap.parse_args()

    name = f"dbguard_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = admin.info.server_version
    dsn = make_conninfo(**{**conninfo_to_dict(args.dsn), "dbname": name})
    try:
        dbguard.migrate(dsn, notify=lambda _m: None)
        with psycopg.connect(dsn) as conn:
            t0 = time.monotonic()
            conn.execute("SET session_replication_role = replica")
            conn.execute("INSERT INTO public.companies (name) VALUES ('bench')")
            conn.execute(
                """INSERT INTO public.calls (company_id, retell_call_id, direction, session_outcome,
                                             appointment_made, created_at)
                   SELECT 1, 'r' || g, 'inbound',
                          CASE WHEN g %% %(every)s = 0 THEN 'appointment_booked' ELSE 'no_appointment' END,
                          g %% %(every)s = 0, now() - (g || ' seconds')::interval
                     FROM generate_series(1, %(n)s) g""", {"n": args.calls, "every": args.every})
            conn.commit()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE public.calls")
            load = time.monotonic() - t0

            t0 = time.monotonic()
            found = dbguard.check(conn, rules=["made_without_appointment"], record=False, limit=0)
            check_s = time.monotonic() - t0

            t0 = time.monotonic()
            recorded = dbguard.check(conn, limit=0)
            check_all_s = time.monotonic() - t0

            t0 = time.monotonic()
            results = dbguard.reconcile(conn, batch_size=args.batch_size)
            reconcile_s = time.monotonic() - t0
            [result] = [r for r in results if r.rule == "made_without_appointment"]
            queued = conn.execute("SELECT count(*) FROM dbguard.manual_review_queue").fetchone()[0]
            left = dbguard.check(conn, rules=["made_without_appointment"], record=False, limit=0).total
        print(f"PostgreSQL {version // 10000}: {args.calls} calls loaded in {load:.1f} s")
        print(f"check made_without_appointment: {found.total} offenders in {check_s:.2f} s")
        print(f"check (all {len(recorded.rules)} rules, recording alerts): {recorded.total} offenders, "
              f"{sum(r.new_alerts for r in recorded.rules)} alerts in {check_all_s:.1f} s")
        print(f"reconcile (all rules) --batch-size {args.batch_size}: fixed {result.fixed}, queued {queued}, "
              f"{result.batches} batches in {reconcile_s:.1f} s "
              f"({result.fixed / reconcile_s:.0f} rows/s), longest batch {result.longest_batch_seconds:.3f} s; "
              f"left afterwards: {left}")
    finally:
        if not args.keep:
            with psycopg.connect(args.dsn, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
