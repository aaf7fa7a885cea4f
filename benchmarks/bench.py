"""Guarded vs bare vs hand-written throughput, in one run on one server.

    python benchmarks/bench.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Creates three databases on the server given by --dsn (any database of it):
- bench_bare     the dbguard tables, indexes and constraints, no dbguard triggers or functions;
- bench_hand     the same, and the pgbench scripts do the consistency writes themselves
                 (lifecycle columns, call link and flags, history row, lead rollup);
- bench_guarded  dbguard fully installed, every rule in its default mode ('correct');
                 the scripts write only what the application minimally writes.
Runs each workload (booking, cancel, reschedule) with pgbench -M prepared, durable and
with synchronous_commit = off, --runs times each, variants interleaved, and reports the
median TPS, p50/p99 latency, the ratios and targets of their own (benchmarks/targets.py checks
those of docs/performance.md). Also times a 100 k-row
INSERT ... SELECT and UPDATE on bare vs guarded. Results: printed, and written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard

HERE = Path(__file__).resolve().parent
VARIANTS = ("bare", "hand", "guarded")
SEED = """
INSERT INTO public.companies (id, name) VALUES (1, 'Bench Co') ON CONFLICT DO NOTHING;
INSERT INTO public.leads (company_id, name) SELECT 1, 'lead ' || g FROM generate_series(1, 10000) g;
INSERT INTO public.calls (company_id, direction) SELECT 1, 'inbound' FROM generate_series(1, 20000) g;
INSERT INTO public.appointments (company_id, call_id, lead_id, starts_at, ends_at, status, source)
SELECT 1, g, (g % 10000) + 1, now() + (g % 90) * interval '1 day', now() + (g % 90) * interval '1 day' + interval '30 min',
       'scheduled', 'retell_webhook'
  FROM generate_series(1, 20000) g;
"""
BULK_APPOINTMENTS = (
    "INSERT INTO public.appointments (company_id, lead_id, starts_at, ends_at, status, source) "
    "SELECT 1, (g % 10000) + 1, now() + (g % 90) * interval '1 day', "
    "now() + (g % 90) * interval '1 day' + interval '30 min', 'scheduled', 'cal.com' "
    "FROM generate_series(1, 100000) g")
TARGETS = {
    # (workload, durability): (min guarded/hand, min guarded/bare)
    ("booking", "durable"): (1.00, 0.70),
    ("booking", "async"): (0.95, 0.60),
}
BULK_TARGET = 2.0  # max guarded/bare for a 100 k-row bulk insert (docs/performance.md, as targets.py)


def dsn_for(base: str, dbname: str) -> str:
    params = conninfo_to_dict(base)
    params["dbname"] = dbname
    return make_conninfo(**params)


def prepare(base: str, variant: str, prefix: str = "bench") -> str:
    name = f"{prefix}_{variant}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = dsn_for(base, name)
    dbguard.migrate(target, notify=lambda _m: None)
    with psycopg.connect(target, autocommit=True) as conn:
        if variant != "guarded":
            # Same tables, indexes and constraints; no dbguard functions, triggers or views.
            conn.execute("DROP SCHEMA IF EXISTS dbguard_audit CASCADE")
            conn.execute("DROP SCHEMA dbguard CASCADE")
        conn.execute(SEED)
        conn.execute("VACUUM ANALYZE")
    return target


def pgbench(target: str, script: Path, *, clients: int, threads: int, duration: int, durable: bool,
            logdir: Path) -> dict:
    params = conninfo_to_dict(target)
    env = dict(os.environ)
    env.update({"PGHOST": str(params.get("host", "")), "PGPORT": str(params.get("port", 5432)),
                "PGUSER": params.get("user", "postgres"), "PGDATABASE": params["dbname"]})
    if params.get("password"):
        env["PGPASSWORD"] = params["password"]
    env["PGOPTIONS"] = "" if durable else "-c synchronous_commit=off"
    for f in logdir.glob("pgbench_log*"):
        f.unlink()
    prefix = logdir / "pgbench_log"
    cmd = [shutil.which("pgbench") or "pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
           "-T", str(duration), "-f", str(script), "-l", f"--log-prefix={prefix}"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"pgbench failed ({' '.join(cmd)}):\n{out.stdout}\n{out.stderr}")
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    latencies = []
    for f in logdir.glob("pgbench_log*"):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000.0)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
    return {"tps": tps, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "failed": int(failed.group(1)) if failed else 0,
            "transactions": len(latencies)}


def bulk(targets: dict[str, str]) -> dict:
    """100 k-row INSERT ... SELECT (calls, appointments) and a 100 k-row UPDATE, bare vs guarded."""
    out = {}
    for variant in ("bare", "guarded"):
        timings = {}
        with psycopg.connect(targets[variant], autocommit=True) as conn:
            def timed(key: str, statement: str) -> None:
                t = time.perf_counter()
                conn.execute(statement)
                timings[key] = round(time.perf_counter() - t, 3)

            first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM public.appointments").fetchone()[0]
            timed("insert_100k_calls_s", "INSERT INTO public.calls (company_id) SELECT 1 FROM generate_series(1, 100000)")
            timed("insert_100k_appointments_s", BULK_APPOINTMENTS)
            timed("update_100k_appointments_s",
                  f"UPDATE public.appointments SET starts_at = starts_at + interval '1 hour', "
                  f"ends_at = ends_at + interval '1 hour' WHERE id >= {int(first)}")
        out[variant] = timings
    for key in out["bare"]:
        out[key.replace("_s", "_ratio")] = round(out["guarded"][key] / out["bare"][key], 2)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", default=os.environ.get("DBGUARD_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--duration", type=int, default=60, help="seconds per pgbench run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workloads", default="booking,cancel,reschedule")
    ap.add_argument("--durability", default="durable,async")
    ap.add_argument("--skip-bulk", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results" / "latest.json"))
    args = ap.parse_args()

    with psycopg.connect(args.dsn) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    print(f"server PostgreSQL {server}; {args.clients} clients, {args.duration}s x {args.runs} runs, -M prepared",
          flush=True)
    targets = {v: prepare(args.dsn, v) for v in VARIANTS}
    results: dict = {"server": server, "clients": args.clients, "duration_s": args.duration, "runs": args.runs,
                     "command": " ".join(["python", "benchmarks/bench.py", *sys.argv[1:]]), "workloads": {}}
    with tempfile.TemporaryDirectory() as tmp:
        logdir = Path(tmp)
        for workload in args.workloads.split(","):
            for durability in args.durability.split(","):
                samples = {v: [] for v in VARIANTS}
                for run in range(args.runs):
                    for variant in VARIANTS:
                        script = HERE / "workloads" / f"{workload}_{'hand' if variant == 'hand' else 'bare'}.sql"
                        r = pgbench(targets[variant], script, clients=args.clients, threads=args.threads,
                                    duration=args.duration, durable=durability == "durable", logdir=logdir)
                        samples[variant].append(r)
                        print(f"  {workload:10} {durability:7} run {run + 1} {variant:7} {r['tps']:9.1f} tps "
                              f"p50 {r['p50_ms']:.3f} ms p99 {r['p99_ms']:.3f} ms failed {r['failed']}", flush=True)
                med = {v: {k: statistics.median(s[k] for s in samples[v]) for k in ("tps", "p50_ms", "p99_ms")}
                       for v in VARIANTS}
                entry = {"median": med, "samples": samples,
                         "guarded_vs_bare": round(med["guarded"]["tps"] / med["bare"]["tps"], 3),
                         "guarded_vs_hand": round(med["guarded"]["tps"] / med["hand"]["tps"], 3),
                         "hand_vs_bare": round(med["hand"]["tps"] / med["bare"]["tps"], 3),
                         "added_p50_ms": round(med["guarded"]["p50_ms"] - med["bare"]["p50_ms"], 3)}
                target = TARGETS.get((workload, durability))
                if target:
                    entry["targets"] = {
                        "guarded_vs_hand >= %.2f" % target[0]: entry["guarded_vs_hand"] >= target[0],
                        "guarded_vs_bare >= %.2f" % target[1]: entry["guarded_vs_bare"] >= target[1],
                    }
                    if durability == "durable":
                        entry["targets"]["added p50 <= 0.15 ms"] = entry["added_p50_ms"] <= 0.15
                        entry["targets"]["guarded p99 <= 2 ms"] = med["guarded"]["p99_ms"] <= 2.0
                results["workloads"][f"{workload}/{durability}"] = entry
    if not args.skip_bulk:
        results["bulk"] = bulk(targets)
        b = results["bulk"]
        b["targets"] = {f"bulk insert calls <= {BULK_TARGET} x bare": b["insert_100k_calls_ratio"] <= BULK_TARGET,
                        f"bulk insert appointments <= {BULK_TARGET} x bare":
                            b["insert_100k_appointments_ratio"] <= BULK_TARGET}

    print("\nworkload            bare tps   hand tps  guarded tps  g/bare  g/hand  h/bare  p50+ms  g.p99ms")
    for key, e in results["workloads"].items():
        m = e["median"]
        print(f"{key:18} {m['bare']['tps']:9.1f} {m['hand']['tps']:10.1f} {m['guarded']['tps']:12.1f} "
              f"{e['guarded_vs_bare']:7.2f} {e['guarded_vs_hand']:7.2f} {e['hand_vs_bare']:7.2f} "
              f"{e['added_p50_ms']:7.3f} {m['guarded']['p99_ms']:8.3f}")
        for name, ok in e.get("targets", {}).items():
            print(f"    target {name}: {'PASS' if ok else 'FAIL'}")
    if "bulk" in results:
        b = results["bulk"]
        print("\nbulk (seconds)             bare  guarded  ratio")
        for key in b["bare"]:
            print(f"{key:26} {b['bare'][key]:6.2f} {b['guarded'][key]:8.2f} {b[key.replace('_s', '_ratio')]:6.2f}")
        for name, ok in b["targets"].items():
            print(f"    target {name}: {'PASS' if ok else 'FAIL'}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
