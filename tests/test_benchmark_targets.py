"""benchmarks/targets.py: the booking it replays for the server-CPU target is the pgbench
booking, statement for statement, and the suite target reads pytest's own summary."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import psycopg
import pytest

TARGETS = Path(__file__).resolve().parent.parent / "benchmarks" / "targets.py"


@pytest.fixture(scope="module")
def targets():
    spec = importlib.util.spec_from_file_location("dbguard_benchmark_targets", TARGETS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO public.companies (id, name) VALUES (1, 'Bench Co')")
        conn.execute("INSERT INTO public.leads (company_id, name) SELECT 1, 'lead ' || g FROM generate_series(1, 10000) g")


@pytest.mark.commits
def test_the_replayed_guarded_booking_writes_a_confirmed_call_and_its_appointment(conn, dsn, targets):
    _seed(dsn)
    script = targets.Script(targets.script_for("guarded"))
    with psycopg.connect(dsn, autocommit=True) as client:
        for _ in range(3):
            script.run(client, random.Random(5))
    rows = conn.execute(
        "SELECT c.booking_confirmed, c.session_outcome, c.appointment_made, c.appointment_link_status, "
        "       c.appointment_id = a.id, a.status, a.source, a.starts_at - now() > interval '0' "
        "  FROM public.calls c JOIN public.appointments a ON a.call_id = c.id ORDER BY c.id").fetchall()
    assert rows == [(True, "appointment_booked", True, "linked", True, "scheduled", "retell_webhook", True)] * 3
    # the same random lead each time (seed 5): one lead, its rollup on one of the three
    leads = conn.execute("SELECT DISTINCT lead_id FROM public.appointments").fetchall()
    assert len(leads) == 1
    events = conn.execute("SELECT count(*) FROM public.appointment_events WHERE event = 'created'").fetchone()[0]
    assert events == 3


@pytest.mark.commits
def test_the_replayed_hand_written_booking_carries_the_returned_ids_into_its_later_statements(conn, dsn, targets):
    _seed(dsn)
    script = targets.Script(targets.script_for("hand"))
    with psycopg.connect(dsn, autocommit=True) as client:
        script.run(client, random.Random(1))
    call_id, appointment_id, lead_id = conn.execute(
        "SELECT call_id, id, lead_id FROM public.appointments").fetchone()
    # \gset: the call's id went into the appointment, the appointment's id into the call and the lead
    assert conn.execute("SELECT appointment_id FROM public.calls WHERE id = %s", (call_id,)).fetchone()[0] \
        == appointment_id
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead_id,)).fetchone()[0] \
        == appointment_id
    history = conn.execute("SELECT count(*) FROM public.appointment_events WHERE appointment_id = %s AND "
                           "call_id = %s AND lead_id = %s", (appointment_id, call_id, lead_id)).fetchone()[0]
    assert history >= 1


def test_a_script_line_it_cannot_replay_is_refused_by_name(tmp_path, targets):
    script = tmp_path / "odd.sql"
    script.write_text("\\set lead random_gaussian(1, 10, 2.5)\nSELECT :lead;\n")
    with pytest.raises(SystemExit, match="random_gaussian"):
        targets.Script(script)


def test_the_suite_time_and_verdict_come_from_pytests_last_summary_line(tmp_path, targets):
    green = tmp_path / "green.log"
    green.write_text("collected 900 items\n...\n== 896 passed, 3 skipped, 1 xfailed in 251.40s (0:04:11) ==\n")
    red = tmp_path / "red.log"
    red.write_text("== 2 failed, 897 passed, 1 xfailed in 312.07s (0:05:12) ==\n")
    suite = targets.read_suite([f"pg15={green}", f"pg18={red}"])
    assert suite["pg15"]["seconds"] == 251.40 and suite["pg15"]["green"]
    assert suite["pg15"]["counts"] == {"passed": 896, "skipped": 3, "xfailed": 1}
    assert suite["pg18"]["seconds"] == 312.07 and not suite["pg18"]["green"]
