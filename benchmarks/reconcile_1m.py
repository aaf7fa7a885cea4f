"""Benchmark: check and reconcile on ~1 M calls and 1 M appointments, 100 k inconsistent rows.

    .venv/bin/python benchmarks/reconcile_1m.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Creates a scratch database next to the given one (dropped at the end), migrates
it, loads N calls of which every tenth claims appointment_made = true without an
appointment (legacy rows, triggers bypassed) and N/10 consistent booked calls
with their appointments, tops the appointments up to --appointments (1 M) with
cal.com bookings that have no call (one in --every-metadata without created_by
and booking_source: missing_lifecycle_metadata offenders), then times
`dbguard check` (one rule counting; all rules recording one scan alert per
offender), `dbguard reconcile --batch-size B`
(each batch its own transaction: flags rolled back, a manual review entry per
call, the call's alert resolved) and a count(*) over every dbguard_audit view.
Windowed checks (`dbguard check --since 1h` / `1d`, counting, all rules) are
timed cold and warm (the better of three runs), with EXPLAIN ANALYZE of each
rule's windowed count written to --explain-out: the evidence that the window
is served by an index.
"""

from __future__ import annotations

import argparse
import time
import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard
from dbguard import detection
from dbguard.catalog import load_catalog

# Issue 7's targets for detection and reconciliation on 1 M rows.
WINDOWED_WARM_MS = 50    # a windowed check (--since 1h, --since 1d), warm
RECONCILE_S = 60         # reconcile of the inconsistent rows (100 k at the defaults)
BATCH_S = 1              # every batch transaction


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def timed(n: int, run):
    """Call ``run`` n times: its last result and the seconds each call took."""
    seconds = []
    for _ in range(n):
        t0 = time.monotonic()
        result = run()
        seconds.append(time.monotonic() - t0)
    return result, seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True, help="a server to create the scratch database on")
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--every", type=int, default=10, help="one inconsistent call in this many")
    ap.add_argument("--appointments", type=int, default=1_000_000,
                    help="appointments in all: the booked calls' own, then cal.com bookings without a call")
    ap.add_argument("--every-metadata", type=int, default=1000,
                    help="one cal.com booking in this many lacks created_by and booking_source")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="do not drop the scratch database")
    ap.add_argument("--explain-out", default="benchmarks/results/windowed-check-explain.txt",
                    help="where to write the EXPLAIN ANALYZE of each windowed rule query")
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
            # Consistent booked calls with their appointment, for the views to read.
            conn.execute(
                """INSERT INTO public.appointments (company_id, call_id, lead_id, starts_at, ends_at, status, source,
                                                    booking_source, created_by, created_at)
                   SELECT 1, c.id, NULL, c.created_at + interval '3 days', c.created_at + interval '3 days 1 hour',
                          CASE WHEN c.id %% 7 = 0 THEN 'cancelled' ELSE 'confirmed' END, 'retell_webhook',
                          'retell_webhook', 'retell_ai', c.created_at
                     FROM public.calls c WHERE c.id %% %(every)s = %(half)s""",
                {"every": args.every, "half": args.every // 2})
            conn.execute("""UPDATE public.appointments SET cancelled_at = starts_at - interval '2 hours',
                                   cancelled_by = 'customer_phone' WHERE status = 'cancelled'""")
            # Bookings made on cal.com directly (no call), spread over the calls' time span.
            extra = max(0, args.appointments - args.calls // args.every)
            conn.execute(
                """INSERT INTO public.appointments (company_id, starts_at, ends_at, status, source, booking_source,
                                                    created_by, provider, calcom_v2_booking_id, cancelled_at,
                                                    cancelled_by, created_at)
                   SELECT 1, t + interval '2 days', t + interval '2 days 30 min',
                          CASE WHEN g %% 7 = 0 THEN 'cancelled' ELSE 'confirmed' END, 'cal.com',
                          CASE WHEN g %% %(every_meta)s = 0 THEN NULL ELSE 'cal.com_direct' END,
                          CASE WHEN g %% %(every_meta)s = 0 THEN NULL ELSE 'cal.com_webhook' END,
                          'calcom', 'cal-' || g,
                          CASE WHEN g %% 7 = 0 THEN t + interval '1 day' END,
                          CASE WHEN g %% 7 = 0 THEN 'customer_web' END, t
                     FROM (SELECT g, now() - (g::float8 * %(span)s / %(extra)s) * interval '1 second' AS t
                             FROM generate_series(1, %(extra)s) g) x""",
                {"extra": extra, "span": args.calls, "every_meta": args.every_metadata})
            conn.execute(
                """UPDATE public.calls c SET appointment_made = true, session_outcome = 'appointment_booked',
                          appointment_link_status = 'linked', appointment_id = a.id, appointment_linked_at = a.created_at
                     FROM public.appointments a WHERE a.call_id = c.id""")
            conn.commit()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE public.calls")
            conn.execute("VACUUM ANALYZE public.appointments")
            load = time.monotonic() - t0
            appointments = conn.execute("SELECT count(*) FROM public.appointments").fetchone()[0]

            catalog = load_catalog()
            windowed = {}
            for since in ("1h", "1d"):
                counted, runs = timed(4, lambda: dbguard.check(conn, since=since, record=False, limit=0))
                windowed[since] = (counted.total, runs[0], min(runs[1:]))
            per_rule = []  # where the one-day window's time goes: each rule alone, best of three
            for rule in catalog:
                _, runs = timed(3, lambda: dbguard.check(conn, since="1d", rules=[rule.name], record=False, limit=0))
                per_rule.append((rule.name, min(runs)))
            explain_out = []
            where, params = detection._window(detection.parse_duration("1h"))
            for rule in catalog:
                query = f"SELECT count(*) FROM ({detection._offenders(rule, 'public', where)}) o"
                plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query, params)]
                explain_out.append(f"-- rule {rule.name}, --since 1h\n" + "\n".join(plan) + "\n")
            with open(args.explain_out, "w") as f:
                f.write(f"-- PostgreSQL {version // 10000}, {args.calls} calls; benchmarks/reconcile_1m.py\n\n"
                        + "\n".join(explain_out))

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
            longest = max(r.longest_batch_seconds for r in results)
            queued = conn.execute("SELECT count(*) FROM dbguard.manual_review_queue").fetchone()[0]
            left = dbguard.check(conn, rules=["made_without_appointment"], record=False, limit=0).total
            view_times = []
            for (view,) in conn.execute("SELECT viewname FROM pg_views WHERE schemaname = 'dbguard_audit' ORDER BY 1"
                                        ).fetchall():
                where = " WHERE lead_id = 1" if view == "appointment_history" else ""
                t0 = time.monotonic()
                rows = conn.execute(sql.SQL("SELECT count(*) FROM dbguard_audit.{}" + where).format(
                    sql.Identifier(view))).fetchone()[0]
                view_times.append((view, rows, time.monotonic() - t0))
        print(f"PostgreSQL {version // 10000}: {args.calls} calls, {appointments} appointments "
              f"({args.calls // args.every} of booked calls) loaded in {load:.1f} s")
        for since, (total, cold, warm) in windowed.items():
            print(f"check --since {since} --no-alerts (all rules): {total} offenders, cold {cold * 1000:.0f} ms, "
                  f"warm {warm * 1000:.0f} ms; target warm < {WINDOWED_WARM_MS} ms: "
                  f"{verdict(warm * 1000 < WINDOWED_WARM_MS)}")
        print("  per rule, --since 1d, best of 3: " + ", ".join(
            f"{name} {seconds * 1000:.1f} ms" for name, seconds in sorted(per_rule, key=lambda r: -r[1])))
        print(f"EXPLAIN ANALYZE of each rule's --since 1h count: {args.explain_out}")
        print(f"check made_without_appointment: {found.total} offenders in {check_s:.2f} s")
        print(f"check (all {len(recorded.rules)} rules, recording alerts): {recorded.total} offenders, "
              f"{sum(r.new_alerts for r in recorded.rules)} alerts in {check_all_s:.1f} s")
        print(f"reconcile (all rules) --batch-size {args.batch_size}: fixed {result.fixed}, queued {queued}, "
              f"{result.batches} batches in {reconcile_s:.1f} s "
              f"({result.fixed / reconcile_s:.0f} rows/s), longest batch {result.longest_batch_seconds:.3f} s; "
              f"left afterwards: {left}")
        print(f"  target reconcile < {RECONCILE_S} s: {verdict(reconcile_s < RECONCILE_S)}; "
              f"target every batch < {BATCH_S} s: {verdict(longest < BATCH_S)} "
              f"(longest of any rule: {longest:.3f} s)")
        for view, rows, seconds in view_times:
            print(f"  SELECT count(*) FROM dbguard_audit.{view}: {rows} rows in {seconds:.3f} s")
    finally:
        if not args.keep:
            with psycopg.connect(args.dsn, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
