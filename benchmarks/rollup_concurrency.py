"""Application transactions against lead_rollup, with the rules off, in correct and in enforce mode.

    python benchmarks/rollup_concurrency.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Creates a database (dropped afterwards) on the server of --dsn, migrates dbguard into it, and
for each mode (every rule 'off'; lead_rollup and the rest 'correct'; 'enforce'):
(a) two sessions, 20 transactions each, writing an appointment of lead A then of lead B, the
    other session B then A, both holding their first write before the second: 40P01 count;
(b) 20 times: an admin session updates a lead, then its appointment, while a webhook session
    updates the same appointment first and commits: 40P01 count;
(c) 20 concurrent bookings of one lead, each transaction open 100 ms (pg_sleep(0.1)
    between the insert and the commit): total wall time.
Prints one line per mode and measurement.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from datetime import timedelta

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard

MODES = ("off", "correct", "enforce")


def set_all_modes(dsn: str, mode: str) -> None:
    with psycopg.connect(dsn) as conn:
        for (rule,) in conn.execute("SELECT rule FROM dbguard.rule_settings").fetchall():
            dbguard.set_mode(conn, rule, mode)
        conn.commit()


def new_lead(conn) -> int:
    lead = conn.execute("INSERT INTO public.leads (name) VALUES ('bench') RETURNING id").fetchone()[0]
    conn.commit()
    return lead


def opposite_order(dsn: str, rounds: int = 20) -> int:
    with psycopg.connect(dsn) as conn:
        leads = [new_lead(conn), new_lead(conn)]
    deadlocks = 0
    lock = threading.Lock()
    start, middle = threading.Barrier(2), threading.Barrier(2)

    def session(order):
        nonlocal deadlocks
        with psycopg.connect(dsn) as c:
            for i in range(rounds):
                start.wait()
                try:
                    c.execute("INSERT INTO public.appointments (lead_id, starts_at) VALUES (%s, now() + %s)",
                              (order[0], timedelta(days=i + 1)))
                    middle.wait()
                    c.execute("INSERT INTO public.appointments (lead_id, starts_at) VALUES (%s, now() + %s)",
                              (order[1], timedelta(days=i + 1, hours=1)))
                    c.commit()
                except psycopg.errors.DeadlockDetected:
                    with lock:
                        deadlocks += 1
                    c.rollback()
                    try:
                        middle.wait(timeout=0.01)
                    except threading.BrokenBarrierError:
                        middle.reset()

    threads = [threading.Thread(target=session, args=(o,)) for o in (leads, leads[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return deadlocks


def admin_vs_webhook(dsn: str, rounds: int = 20) -> int:
    deadlocks = 0
    for _ in range(rounds):
        with psycopg.connect(dsn) as setup:
            lead = new_lead(setup)
            appointment = setup.execute("INSERT INTO public.appointments (lead_id, starts_at) "
                                        "VALUES (%s, now() + interval '3 days') RETURNING id", (lead,)).fetchone()[0]
            setup.commit()
        admin, webhook = psycopg.connect(dsn), psycopg.connect(dsn)
        failed: list[str] = []
        try:
            admin.execute("UPDATE public.leads SET name = 'admin' WHERE id = %s", (lead,))

            def hook():
                try:
                    webhook.execute("UPDATE public.appointments SET starts_at = now() + interval '2 days' "
                                    "WHERE id = %s", (appointment,))
                    time.sleep(0.05)
                    webhook.commit()
                except psycopg.Error as exc:
                    failed.append(exc.sqlstate)
                    webhook.rollback()

            t = threading.Thread(target=hook)
            t.start()
            time.sleep(0.02)
            try:
                admin.execute("UPDATE public.appointments SET notes = 'x' WHERE id = %s", (appointment,))
                admin.commit()
            except psycopg.Error as exc:
                failed.append(exc.sqlstate)
                admin.rollback()
            t.join()
        finally:
            admin.close()
            webhook.close()
        deadlocks += failed.count("40P01")
    return deadlocks


def bookings_on_one_lead(dsn: str, n: int = 20) -> float:
    with psycopg.connect(dsn) as conn:
        lead = new_lead(conn)
    conns = [psycopg.connect(dsn) for _ in range(n)]
    go = threading.Barrier(n + 1)

    def book(c, i):
        go.wait()
        c.execute("INSERT INTO public.appointments (lead_id, starts_at) VALUES (%s, now() + %s)",
                  (lead, timedelta(days=i + 1)))
        c.execute("SELECT pg_sleep(0.1)")
        c.commit()

    threads = [threading.Thread(target=book, args=(c, i)) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    go.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args()
    name = f"dbguard_rollup_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(**(conninfo_to_dict(args.dsn) | {"dbname": name}))
    try:
        dbguard.migrate(dsn, notify=lambda _msg: None)
        with psycopg.connect(dsn) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}")
        for mode in MODES:
            set_all_modes(dsn, mode)
            print(f"{mode:8} (a) opposite-order 40P01: {opposite_order(dsn)} of 40 transactions")
            print(f"{mode:8} (b) admin vs webhook 40P01: {admin_vs_webhook(dsn)} of 20 rounds")
            times = sorted(bookings_on_one_lead(dsn) for _ in range(3))
            print(f"{mode:8} (c) 20 bookings of one lead, 100 ms each: median {times[1]:.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in times)})")
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
