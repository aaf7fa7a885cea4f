"""Where the guarded 100 k-row appointments insert spends its time: each dbguard trigger's share.

    python benchmarks/bulk_attribution.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Builds bench_bare and bench_guarded as benchmarks/bench.py does, then times bench.py's bulk
appointments INSERT ... SELECT on bare and guarded, run after run in turn (bare, guarded, bare,
...), and reports the median of the per-pair ratios against the target (<= 2.0 x, docs/performance.md): a shared
VM's speed drifts by tens of percent within minutes, and a pair run back to back shares the
drift. Then, unless --no-attribution, each dbguard trigger of public.appointments and
public.appointment_events is disabled in turn, again paired with a guarded run, and its share is
the median of (guarded - guarded without it). Every run is one transaction: the insert, SET
CONSTRAINTS ALL IMMEDIATE (so commit-time checks are counted), then ROLLBACK and a VACUUM of the
tables it wrote, so all runs start from the same tables. Writes JSON.
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


def timed(dsn: str, disabled: tuple[str, str] | None = None) -> float:
    with psycopg.connect(dsn) as conn:
        if disabled:
            table, trigger = disabled
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(
                sql.Identifier("public", table), sql.Identifier(trigger)))
        start = time.perf_counter()
        conn.execute(bench.BULK_APPOINTMENTS)
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = round(time.perf_counter() - start, 3)
        conn.rollback()
        # A rolled-back insert leaves its rows and index entries behind as dead
        # tuples; without this every later run would insert into bigger indexes.
        conn.autocommit = True
        conn.execute("VACUUM public.appointments, public.appointment_events, public.leads")
    return seconds


def paired(runs: int, first, second) -> tuple[list[float], list[float]]:
    """``runs`` pairs, each ``first()`` then ``second()`` back to back."""
    a, b = [], []
    for _ in range(runs):
        a.append(first())
        b.append(second())
    return a, b


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", default=os.environ.get("DBGUARD_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-attribution", action="store_true", help="only the bare/guarded pairs")
    ap.add_argument("--out", default=str(HERE / "results" / "bulk-attribution-latest.json"))
    args = ap.parse_args()

    targets = {variant: bench.prepare(args.dsn, variant) for variant in ("bare", "guarded")}
    with psycopg.connect(targets["guarded"]) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        triggers = conn.execute(TRIGGERS).fetchall()
    bare, guarded = paired(args.runs, lambda: timed(targets["bare"]), lambda: timed(targets["guarded"]))
    ratios = [round(g / b, 2) for b, g in zip(bare, guarded)]
    ratio = statistics.median(ratios)
    result = {"server": server, "runs": args.runs, "command": " ".join(["python"] + sys.argv),
              "bare": bare, "guarded": guarded, "ratios": ratios, "ratio": ratio,
              "target": bench.BULK_TARGET, "pass": ratio <= bench.BULK_TARGET, "without": {}}
    print(f"PostgreSQL {server}; 100 k-row appointments insert, {args.runs} bare/guarded pairs")
    print(f"bare     {statistics.median(bare):6.2f} s (median)\nguarded  {statistics.median(guarded):6.2f} s (median)")
    print(f"guarded / bare, median of the pairs: {ratio:.2f} x (pairs: {ratios}); "
          f"target <= {bench.BULK_TARGET}: {'pass' if ratio <= bench.BULK_TARGET else 'FAIL'}", flush=True)
    if not args.no_attribution:
        print("each trigger's share (median of guarded minus guarded with the trigger disabled, run in pairs):")
        for table, trigger in triggers:
            key = f"{table}.{trigger}"
            with_it, without = paired(args.runs, lambda: timed(targets["guarded"]),
                                      lambda: timed(targets["guarded"], (table, trigger)))
            result["without"][key] = {"guarded": with_it, "without": without}
            share = statistics.median(w - o for w, o in zip(with_it, without))
            print(f"  {key:70} {share:6.2f} s", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
