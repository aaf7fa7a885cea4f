"""Two migrators at once: one waits, neither fails, every migration runs once."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from dbguard import migrator


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 4])
def test_simultaneous_dbguard_migrate_processes_all_succeed_and_apply_once(blank_dsn, processes):
    procs = [subprocess.Popen([sys.executable, "-m", "dbguard", "--dsn", blank_dsn, "migrate"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(processes)]
    outputs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0] * processes, outputs
    with psycopg.connect(blank_dsn) as conn:
        applies = dict(conn.execute(
            "SELECT migration_id, count(*) FROM dbguard._yoyo_log WHERE operation = 'apply' GROUP BY 1").fetchall())
    assert applies == {m.id: 1 for m in migrator.load_migrations()}
    assert sum("already up to date" in out for out, _ in outputs) == processes - 1
