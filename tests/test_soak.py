"""The soak workload (benchmarks/soak.py), short: several clients, mixed
booking traffic in random order, then the catalog finds nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import psycopg
import pytest

SOAK = Path(__file__).resolve().parent.parent / "benchmarks" / "soak.py"


def _soak_module():
    spec = importlib.util.spec_from_file_location("dbguard_soak", SOAK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_mixed_concurrent_traffic_leaves_no_violation_no_deadlock_and_only_the_alerts_it_wrote(conn, dsn):
    soak = _soak_module()
    for statement in soak.SEED.strip().split(";\n"):
        conn.execute(statement, {"calls": 30, "leads": 10})
    conn.commit()
    figures = soak.soak(dsn, seconds=10, clients=4, calls=30, leads=10, seed=7)
    assert figures["transactions"] > 0
    assert figures["deadlocks"] == 0, figures["error_samples"]
    assert figures["violations"] == 0, figures["violations_by_rule"]
    # the failed bookings the workload committed, and nothing else
    assert figures["by_kind"].get("failed_booking", 0) > 0
    assert figures["alerts"] == figures["expected_alerts"], figures
    # only errors an application can meet on this traffic: a predecessor deleted under a reschedule
    assert set(figures["errors"]) <= {"23503"}, figures["error_samples"]
