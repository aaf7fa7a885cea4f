"""Soak: several clients write mixed booking traffic for N minutes, then the
rule catalog must find nothing.

    python benchmarks/soak.py --minutes 3 --clients 6
    python benchmarks/soak.py --dsn postgresql://postgres@127.0.0.1:5432/postgres --seconds 15

Creates a fresh database (``--database``, default dbguard_soak) on the server
of ``--dsn``, migrates it, seeds calls and leads, then runs ``--clients``
threads, each with its own connection, until the time is up. Each transaction
is one of: booking (confirm the call and insert its appointment, in random
order), failed booking (confirm the call, the appointment insert fails inside a
savepoint, the error is swallowed and the transaction commits anyway -- the
real-world failure), cancel, in-place reschedule, reschedule into a new
appointment (chain), delete, move to another call, move to another lead.

Only failed bookings contradict the rules (a confirmed call without
appointment); they go to calls of their own that never get an appointment,
so each committed one must produce exactly one ``confirmed_without_appointment``
alert (correct mode rolls the claim back). Deletes and call moves only touch
calls nobody confirms, so no other write contradicts a rule.

At the end: transactions, errors by SQLSTATE, deadlocks, catalog violations
(dbguard.check, read only) and alerts by type versus those the workload wrote.
Exit status 1 when a violation, a deadlock or an unexpected alert is found.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import threading
import time

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEADLOCK = "40P01"
ACTORS = ("retell_ai", "staff_user", "customer_phone", "system")
SOURCES = ("retell_webhook", "cal.com_webhook", "manual_staff", "widget_embed")

# Calls 1..B are booked (confirmed), B+1..B+F only ever fail, the rest are never confirmed.
SEED = """
INSERT INTO public.companies (id, name) VALUES (1, 'Soak Co');
INSERT INTO public.leads (company_id, name) SELECT 1, 'lead ' || g FROM generate_series(1, %(leads)s) g;
INSERT INTO public.calls (company_id, direction) SELECT 1, 'inbound' FROM generate_series(1, %(calls)s) g;
"""


def dsn_for(base: str, dbname: str) -> str:
    params = conninfo_to_dict(base)
    params["dbname"] = dbname
    return make_conninfo(**params)


def prepare(base: str, database: str, *, calls: int, leads: int) -> str:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    target = dsn_for(base, database)
    dbguard.migrate(target, notify=lambda _m: None)
    with psycopg.connect(target, autocommit=True) as conn:
        for statement in SEED.strip().split(";\n"):
            conn.execute(statement, {"calls": calls, "leads": leads})
    return target


class Pools:
    """Which calls each kind of transaction may touch."""

    def __init__(self, calls: int):
        third = max(calls // 3, 1)
        self.booked = range(1, third + 1)
        self.failing = range(third + 1, 2 * third + 1)
        self.free = range(2 * third + 1, calls + 1)


class Client(threading.Thread):
    def __init__(self, dsn: str, seed: int, deadline: float, pools: Pools, leads: int, stats: "Stats"):
        super().__init__(daemon=True)
        self.dsn, self.rnd, self.deadline, self.pools, self.leads, self.stats = dsn, random.Random(seed), deadline, \
            pools, leads, stats

    def run(self) -> None:
        actions = [(self.booking, 3), (self.failed_booking, 1), (self.cancel, 2), (self.reschedule, 2),
                   (self.reschedule_chain, 1), (self.delete, 1), (self.move_call, 1), (self.move_lead, 1),
                   (self.free_booking, 2)]
        funcs, weights = zip(*actions)
        with psycopg.connect(self.dsn) as conn:
            while time.monotonic() < self.deadline:
                action = self.rnd.choices(funcs, weights)[0]
                try:
                    conn.execute("SELECT set_config('dbguard.actor', %s, true), set_config('dbguard.source', %s, true)",
                                 (self.rnd.choice(ACTORS), self.rnd.choice(SOURCES)))
                    failed_booking = action(conn)
                    conn.commit()
                    self.stats.committed(action.__name__, bool(failed_booking))
                except psycopg.Error as exc:
                    conn.rollback()
                    self.stats.error(exc.diag.sqlstate or type(exc).__name__, action.__name__, exc)

    # -- helpers -------------------------------------------------------------
    def _insert(self, conn, call_id: int | None, **extra) -> int | None:
        cols = {"company_id": 1, "call_id": call_id, "lead_id": self.rnd.randint(1, self.leads),
                "status": self.rnd.choice(("scheduled", "confirmed")), "provider": "calcom"} | extra
        names = sql.SQL(", ").join(map(sql.Identifier, cols))
        values = sql.SQL(", ").join(sql.Placeholder() * len(cols))
        offset = f"{self.rnd.randint(1, 400)} days {self.rnd.randint(0, 23)} hours"
        row = conn.execute(sql.SQL("INSERT INTO public.appointments ({}, starts_at, ends_at) VALUES ({}, "
                                   "now() + %s::interval, now() + %s::interval + interval '30 minutes') "
                                   "RETURNING id").format(names, values),
                           [*cols.values(), offset, offset]).fetchone()
        return row[0]

    def _pick(self, conn, where: str, params: tuple = ()) -> tuple | None:
        """A random appointment matching ``where`` (id, call_id, lead_id), locked by the caller's statement later."""
        return conn.execute(
            f"SELECT id, call_id, lead_id FROM public.appointments WHERE {where} AND id >= "
            f"(SELECT floor(random() * (max(id) + 1))::bigint FROM public.appointments) ORDER BY id LIMIT 1",
            params).fetchone()

    def _confirm(self, conn, call_id: int) -> None:
        conn.execute("UPDATE public.calls SET booking_confirmed = true, booking_id = %s WHERE id = %s",
                     (f"soak-{call_id}-{self.rnd.getrandbits(32)}", call_id))

    # -- transactions ----------------------------------------------------------
    def booking(self, conn) -> None:
        call_id = self.rnd.choice(self.pools.booked)
        steps = [lambda: self._confirm(conn, call_id), lambda: self._insert(conn, call_id)]
        self.rnd.shuffle(steps)  # random write order: the claim before or after the appointment
        for step in steps:
            step()

    def free_booking(self, conn) -> None:
        self._insert(conn, self.rnd.choice(self.pools.free))

    def failed_booking(self, conn) -> bool:
        call_id = self.rnd.choice(self.pools.failing)
        confirm_first = self.rnd.random() < 0.5
        if confirm_first:
            self._confirm(conn, call_id)
        # The appointment insert fails (here: a lead that does not exist), the
        # application swallows the error and commits: a deliberate contradiction.
        try:
            with conn.transaction():
                self._insert(conn, call_id, lead_id=-1)
        except psycopg.errors.ForeignKeyViolation:
            pass
        if not confirm_first:
            self._confirm(conn, call_id)
        return True

    def cancel(self, conn) -> None:
        row = self._pick(conn, "status IN ('scheduled', 'confirmed')")
        if row:
            conn.execute("UPDATE public.appointments SET status = 'cancelled' WHERE id = %s "
                         "AND status IN ('scheduled', 'confirmed')", (row[0],))

    def reschedule(self, conn) -> None:
        row = self._pick(conn, "status IN ('scheduled', 'confirmed')")
        if row:
            conn.execute("UPDATE public.appointments SET starts_at = starts_at + %s::interval WHERE id = %s",
                         (f"{self.rnd.randint(1, 72)} hours", row[0]))

    def reschedule_chain(self, conn) -> None:
        row = self._pick(conn, "status IN ('scheduled', 'confirmed')")
        if row:
            new_id = self._insert(conn, row[1], lead_id=row[2], rescheduled_from_id=row[0])
            # A concurrent move_lead can take the predecessor to another lead between the
            # pick and the insert: the workload then wrote a cross-lead link, which
            # reschedule_chain drops and alerts (correct mode) -- a contradiction it wrote.
            if conn.execute("SELECT rescheduled_from_id IS NULL FROM public.appointments WHERE id = %s",
                            (new_id,)).fetchone()[0]:
                self.stats.stale_link()

    def delete(self, conn) -> None:
        # only appointments of calls nobody confirms (or of no call)
        row = self._pick(conn, "(call_id IS NULL OR call_id >= %s)", (self.pools.free.start,))
        if row:
            conn.execute("DELETE FROM public.appointments WHERE id = %s AND (call_id IS NULL OR call_id >= %s)",
                         (row[0], self.pools.free.start))

    def move_call(self, conn) -> None:
        row = self._pick(conn, "call_id >= %s", (self.pools.free.start,))
        if row:
            conn.execute("UPDATE public.appointments SET call_id = %s WHERE id = %s AND call_id >= %s",
                         (self.rnd.choice(self.pools.free), row[0], self.pools.free.start))

    def move_lead(self, conn) -> None:
        row = self._pick(conn, "true")
        if row:
            conn.execute("UPDATE public.appointments SET lead_id = %s WHERE id = %s",
                         (self.rnd.randint(1, self.leads), row[0]))
            # Moving one end of a reschedule chain to another lead makes the chain cross leads:
            # reschedule_chain drops the link and alerts (correct mode) -- a contradiction the
            # workload wrote. Its alerts carry this transaction's now().
            for _ in range(conn.execute(
                    "SELECT count(*) FROM dbguard.data_consistency_alerts "
                    "WHERE alert_type = 'reschedule_chain_violation' AND detected_at = now()").fetchone()[0]):
                self.stats.stale_link()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.transactions = collections.Counter()
        self.errors = collections.Counter()
        self.contradictions = 0
        self.stale_chain_links = 0
        self.samples: dict[str, list[str]] = collections.defaultdict(list)

    def committed(self, kind: str, contradiction: bool) -> None:
        with self.lock:
            self.transactions[kind] += 1
            self.contradictions += contradiction

    def stale_link(self) -> None:
        with self.lock:
            self.stale_chain_links += 1

    def error(self, sqlstate: str, kind: str, exc: Exception) -> None:
        with self.lock:
            self.errors[sqlstate] += 1
            if len(self.samples[sqlstate]) < 3:  # what failed, for the report
                self.samples[sqlstate].append(f"{kind}: {exc.diag.message_primary}; {exc.diag.message_detail}; "
                                              f"{exc.diag.context}")


def soak(dsn: str, *, seconds: float, clients: int = 6, calls: int = 60, leads: int = 20, seed: int = 1) -> dict:
    """Run the workload on an already migrated and seeded database; return the figures."""
    pools, stats = Pools(calls), Stats()
    deadline = time.monotonic() + seconds
    threads = [Client(dsn, seed * 1000 + i, deadline, pools, leads, stats) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    with psycopg.connect(dsn) as conn:
        result = dbguard.check(conn, record=False, limit=0)
        violations = {r.rule: r.count for r in result.rules}
        alerts = dict(conn.execute("SELECT alert_type, count(*) FROM dbguard.data_consistency_alerts "
                                   "GROUP BY alert_type ORDER BY 1").fetchall())
        appointments = conn.execute("SELECT count(*) FROM public.appointments").fetchone()[0]
    expected_alerts = {"confirmed_without_appointment": stats.contradictions} if stats.contradictions else {}
    if stats.stale_chain_links:
        expected_alerts["reschedule_chain_violation"] = stats.stale_chain_links
    return {
        "seconds": round(elapsed, 1), "clients": clients,
        "transactions": sum(stats.transactions.values()), "by_kind": dict(sorted(stats.transactions.items())),
        "errors": dict(sorted(stats.errors.items())), "deadlocks": stats.errors.get(DEADLOCK, 0),
        "error_samples": dict(stats.samples),
        "violations": sum(violations.values()), "violations_by_rule": {k: v for k, v in violations.items() if v},
        "alerts": alerts, "expected_alerts": expected_alerts, "appointments": appointments,
    }


def ok(figures: dict) -> bool:
    return figures["violations"] == 0 and figures["deadlocks"] == 0 and figures["alerts"] == figures["expected_alerts"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="any database of the server to use")
    parser.add_argument("--database", default="dbguard_soak", help="created (dropped first if it exists)")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seconds", type=float, help="overrides --minutes")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--leads", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    target = prepare(args.dsn, args.database, calls=args.calls, leads=args.leads)
    figures = soak(target, seconds=args.seconds if args.seconds is not None else args.minutes * 60,
                   clients=args.clients, calls=args.calls, leads=args.leads, seed=args.seed)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{figures['transactions']} transactions in {figures['seconds']} s by {figures['clients']} clients "
              f"({figures['appointments']} appointments at the end)")
        print("  by kind:", ", ".join(f"{k} {v}" for k, v in figures["by_kind"].items()))
        print("  errors by SQLSTATE:", figures["errors"] or "none", f"(deadlocks: {figures['deadlocks']})")
        for sqlstate, samples in figures["error_samples"].items():
            for sample in samples:
                print(f"    {sqlstate} {sample}")
        print(f"  catalog violations: {figures['violations']}", figures["violations_by_rule"] or "")
        print(f"  alerts: {figures['alerts'] or 'none'}; written contradictions: {figures['expected_alerts'] or 'none'}")
        print("OK" if ok(figures) else "FAILED")
    return 0 if ok(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
