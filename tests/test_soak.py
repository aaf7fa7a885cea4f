"""The soak workload (benchmarks/soak.py), short: several clients, mixed
booking traffic in random order, then the catalog finds nothing.

The soak's random interleavings find races the two-session specs do not
name; a race it has found is pinned down here in the interleaving that loses,
so that it fails every time rather than once in a while under load.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest

from .isolation.consistency import assert_catalog_clean

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
    # Each assertion prints every figure: a failure under load must say what the run did.
    assert figures["transactions"] > 0, figures
    assert figures["deadlocks"] == 0, figures
    assert figures["violations"] == 0, figures
    # the failed bookings the workload committed, and nothing else
    assert figures["by_kind"].get("failed_booking", 0) > 0, figures
    assert figures["alerts"] == figures["expected_alerts"], figures
    # only errors an application can meet on this traffic: a predecessor deleted under a reschedule
    assert set(figures["errors"]) <= {"23503"}, figures


@pytest.mark.slow
@pytest.mark.commits
def test_a_reschedule_waiting_for_a_move_of_its_predecessor_to_another_lead_leaves_no_chain_across_leads(
        conn, connect, make_lead):
    """What the soak found under load (catalog: reschedule_chain_cross_lead, no alert). Session 2
    moves appointment P to another lead and holds the row; session 1 inserts P's successor on P's
    old lead, and its reschedule_chain waits for P; session 2 commits, then session 1. The link
    must end within one lead, or be dropped and alerted (correct mode)."""
    old_lead, new_lead = make_lead(), make_lead()
    predecessor = conn.execute(
        "INSERT INTO public.appointments (lead_id, status, starts_at, ends_at) "
        "VALUES (%s, 'scheduled', '2030-01-07 09:00+00', '2030-01-07 09:30+00') RETURNING id",
        (old_lead,)).fetchone()[0]
    conn.commit()
    mover, rescheduler = connect(), connect()
    mover.execute("UPDATE public.appointments SET lead_id = %s WHERE id = %s", (new_lead, predecessor))
    inserted: list = []

    def reschedule() -> None:
        inserted.append(rescheduler.execute(
            "INSERT INTO public.appointments (lead_id, status, starts_at, ends_at, rescheduled_from_id) "
            "VALUES (%s, 'scheduled', '2030-01-09 09:00+00', '2030-01-09 09:30+00', %s) RETURNING id",
            (old_lead, predecessor)).fetchone()[0])
        rescheduler.commit()

    thread = threading.Thread(target=reschedule)
    thread.start()
    watcher = connect(autocommit=True)
    pid = rescheduler.info.backend_pid
    deadline = time.monotonic() + 30
    while thread.is_alive() and not watcher.execute(
            "SELECT %s = ANY(pg_blocking_pids(%s))", (mover.info.backend_pid, pid)).fetchone()[0]:
        assert time.monotonic() < deadline, "the successor's insert neither finished nor waited for the move"
        time.sleep(0.01)
    mover.commit()
    thread.join(30)
    assert inserted, "the successor's insert failed"
    successor = inserted[0]
    link = conn.execute(
        "SELECT s.rescheduled_from_id, s.lead_id, p.lead_id FROM public.appointments s "
        "LEFT JOIN public.appointments p ON p.id = s.rescheduled_from_id WHERE s.id = %s", (successor,)).fetchone()
    alerted = conn.execute(
        "SELECT count(*) FROM dbguard.data_consistency_alerts WHERE alert_type = 'reschedule_chain_violation' "
        "AND entity_id IN (%s, %s)", (str(successor), str(predecessor))).fetchone()[0]
    conn.rollback()
    assert link[0] is None or link[1] == link[2], f"successor {successor} (lead {link[1]}) still replaces " \
        f"appointment {predecessor} (now lead {link[2]})"
    assert alerted >= 1, "the link was dropped without an alert"
    assert_catalog_clean(conn, ("reschedule_chain_cross_lead",))
