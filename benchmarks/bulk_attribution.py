"""Where the guarded 100 k-row appointments insert spends its time: each dbguard trigger's share.

    python benchmarks/bulk_attribution.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Builds bench_bare and bench_guarded as benchmarks/bench.py does, then times bench.py's bulk
appointments INSERT ... SELECT on bare, on guarded, and on guarded with each dbguard trigger of
public.appointments and public.appointment_events disabled in turn. Every run is one transaction:
the insert, SET CONSTRAINTS ALL IMMEDIATE (so commit-time checks are counted), then ROLLBACK and a
VACUUM of the tables it wrote, so all runs start from the same tables. Prints the median of --runs
and the seconds each trigger costs (guarded minus guarded-without-it); writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the same databases and the same bulk statement as bench.py)

TRIGGERS = """
    SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE NOT t.tgisinternal AND t.tgname LIKE 'dbguard%'
       AND t.tgrelid IN ('public.appointments'::regclass, 'public.appointment_events'::regclass)
     ORDER BY 1, 2
"""


def timed(dsn: str, runs: int, disabled: tuple[str, str] | None = None) -> list[float]:
    seconds = []
    for _ in range(runs):
        with psycopg.connect(dsn) as conn:
            if disabled:
                table, trigger = disabled
                conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(
                    sql.Identifier("public", table), sql.Identifier(trigger)))
            start = time.perf_counter()
            conn.execute(bench.BULK_APPOINTMENTS)
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds.append(round(time.perf_counter() - start, 3))
            conn.rollback()
            # A rolled-back insert leaves its rows and index entries behind as dead
            # tuples; without this every later run would insert into bigger indexes.
            conn.autocommit = True
            conn.execute("VACUUM public.appointments, public.appointment_events, public.leads")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", default=os.environ.get("DBGUARD_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "results" / "bulk-attribution-latest.json"))
    args = ap.parse_args()

    targets = {variant: bench.prepare(args.dsn, variant) for variant in ("bare", "guarded")}
    with psycopg.connect(targets["guarded"]) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        triggers = conn.execute(TRIGGERS).fetchall()
    result = {"server": server, "runs": args.runs, "command": " ".join(["python"] + sys.argv),
              "bare": timed(targets["bare"], args.runs), "guarded": timed(targets["guarded"], args.runs),
              "without": {}}
    guarded = statistics.median(result["guarded"])
    print(f"PostgreSQL {server}; 100 k-row appointments insert, median of {args.runs}")
    print(f"bare     {statistics.median(result['bare']):6.2f} s\nguarded  {guarded:6.2f} s")
    print("each trigger's share (guarded minus guarded with the trigger disabled):")
    for table, trigger in triggers:
        key = f"{table}.{trigger}"
        result["without"][key] = timed(targets["guarded"], args.runs, (table, trigger))
        print(f"  {key:70} {guarded - statistics.median(result['without'][key]):6.2f} s", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
