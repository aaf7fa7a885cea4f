"""What a mode change costs: every statement on dbguard.rule_settings recompiles the rules.

    python benchmarks/mode_switch.py --dsn postgresql://postgres@127.0.0.1:5432/postgres

Builds a scratch guarded database as benchmarks/bench.py does (bench.prepare), then times (median of --runs, committed each time)
`dbguard.set_mode` of one rule, every installed rule switched one by one, and
`dbguard.set_modes` of every rule at once; drops the database. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

import dbguard

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def median_ms(runs: int, action) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        action(("alert", "correct")[i % 2])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dsn", required=True, help="a server where a scratch database may be created")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    target = bench.prepare(args.dsn, "guarded", prefix="mode_switch")
    try:
        with dbguard.connect(target) as conn:
            rules = [r for (r,) in conn.execute("SELECT rule FROM dbguard.installed_rules ORDER BY rule")]

            def one(mode: str) -> None:
                dbguard.set_mode(conn, "pii_redaction", mode)
                conn.commit()

            def each(mode: str) -> None:
                for rule in rules:
                    dbguard.set_mode(conn, rule, mode)
                conn.commit()

            def together(mode: str) -> None:
                dbguard.set_modes(conn, dict.fromkeys(rules, mode))
                conn.commit()

            version = conn.execute("SHOW server_version").fetchone()[0]
            print(f"PostgreSQL {version}, median of {args.runs} runs, each committed")
            print(f"set_mode, one rule:                     {median_ms(args.runs, one):7.1f} ms")
            print(f"set_mode, {len(rules)} rules one after another:   {median_ms(args.runs, each):7.1f} ms")
            print(f"set_modes, the {len(rules)} rules in one call:     {median_ms(args.runs, together):7.1f} ms")
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier("mode_switch_guarded")))


if __name__ == "__main__":
    main()
