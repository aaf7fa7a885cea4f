"""dbguard demo: the before/after it shows is real."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest
from psycopg import sql

from dbguard.demo import demo
from dbguard.sample_data import EXPECTED


@pytest.fixture
def demo_database(server_dsn):
    name = "dbguard_demo_test"
    yield name
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.slow
def test_demo_repairs_the_desync_and_loses_no_row(server_dsn, demo_database):
    result = demo(server_dsn, database=demo_database, echo=lambda _m: None)

    before, after = result["violations_before"], result["violations_after"]
    assert result["confirmed_without_appointment"] == {"before": EXPECTED["confirmed_without_appointment"],
                                                       "after": 0}
    for rule in ("phantom_booking", "confirmed_without_appointment", "made_without_appointment",
                 "call_missing_direction", "orphaned_appointment"):
        assert before[rule] > 0 and after[rule] == 0, rule
    assert before["cross_tenant_staff"] == after["cross_tenant_staff"] == 1, "left for a person to decide"
    assert all(result["rows_after"][t] >= n for t, n in result["rows_before"].items())
    assert result["backfills"]["appointments"]["created"] == EXPECTED["recoverable_from_booking_details"]
    assert result["pending_reviews"] >= 3
    # Each row reconcile found is counted once: repaired, queued for a person, or both.
    outcomes = {r["rule"]: r for r in result["reconcile"]}
    assert all(r["fixed"] + r["remaining"] == r["found"] for r in outcomes.values())
    phantom = outcomes["phantom_booking"]
    assert phantom["found"] == phantom["fixed"] == phantom["queued_for_review"] == phantom["fixed_and_queued"] > 0
    assert phantom["outcome"] == f"{phantom['found']} calls: {phantom['found']} repaired and queued for a person to confirm"


@pytest.mark.slow
def test_demo_command_prints_json_and_rerun_starts_fresh(server_dsn, demo_database):
    cmd = [sys.executable, "-m", "dbguard", "--dsn", server_dsn, "demo", "--database", demo_database, "--json"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    second = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout)
    assert second["confirmed_without_appointment"]["before"] == EXPECTED["confirmed_without_appointment"]
