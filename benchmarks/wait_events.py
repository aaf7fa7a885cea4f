"""What the booking's backends wait for under pgbench: is the guarded booking's lower TPS lock
waits (rows, leads, advisory locks) or CPU?

    python benchmarks/wait_events.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Builds wait_hand and wait_guarded as benchmarks/bench.py builds its databases, runs the
booking workload on each (pgbench -M prepared, durable commits; the hand-written script on
hand, the application's plain writes on guarded), and samples pg_stat_activity of the
database's client backends every --interval seconds: the share of samples per wait event
(or state, when a backend waits for nothing), and the WAL written per transaction (the
server's WAL position before and after: run it on a server nothing else writes to). Drops the
databases. Prints one block per variant
and writes JSON with --out.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402

SAMPLE = ("SELECT coalesce(wait_event_type || ':' || wait_event, state) FROM pg_stat_activity "
          "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'")


def run(base: str, variant: str, script: Path, args) -> dict:
    target = bench.prepare(base, variant, prefix="wait")
    counts: collections.Counter[str] = collections.Counter()
    done = threading.Event()

    def sample() -> None:
        with psycopg.connect(target, autocommit=True) as conn:
            while not done.is_set():
                counts.update(w for (w,) in conn.execute(SAMPLE))
                time.sleep(args.interval)

    with psycopg.connect(target, autocommit=True) as conn:
        lsn_before = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    sampler = threading.Thread(target=sample)
    sampler.start()
    params = conninfo_to_dict(target)
    env = dict(os.environ, PGHOST=str(params.get("host", "")), PGPORT=str(params.get("port", 5432)),
               PGUSER=params.get("user", "postgres"), PGDATABASE=params["dbname"])
    try:
        out = subprocess.run([shutil.which("pgbench") or "pgbench", "-n", "-M", "prepared", "-c", str(args.clients),
                              "-j", "2", "-T", str(args.duration), "-f", str(script)],
                             env=env, capture_output=True, text=True, check=True)
    finally:
        done.set()
        sampler.join()
        with psycopg.connect(target, autocommit=True) as conn:
            wal = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)::bigint", (lsn_before,)).fetchone()[0]
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(params["dbname"])))
    total = sum(counts.values()) or 1
    tps = float(next(line for line in out.stdout.splitlines() if line.startswith("tps")).split()[2])
    transactions = int(next(line for line in out.stdout.splitlines()
                            if line.startswith("number of transactions actually processed")).split(":")[1].split("/")[0])
    return {"tps": tps, "transactions": transactions, "wal_bytes_per_transaction": round(wal / max(transactions, 1)),
            "samples": total,
            "share": {k: round(100 * v / total, 1) for k, v in counts.most_common()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--duration", type=int, default=20, help="seconds of pgbench per variant")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--out")
    args = ap.parse_args()
    results = {}
    for variant, script in (("hand", "booking_hand.sql"), ("guarded", "booking_bare.sql")):
        r = results[variant] = run(args.dsn, variant, HERE / "workloads" / script, args)
        print(f"{variant}: {r['tps']:.0f} TPS, {r['wal_bytes_per_transaction']:,} bytes of WAL a transaction "
              f"(the server's, other databases' included), {r['samples']} samples")
        for event, share in list(r["share"].items())[:10]:
            print(f"  {event:32s} {share:5.1f} %")
    if args.out:
        Path(args.out).write_text(json.dumps({"command": " ".join(sys.argv), **results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
