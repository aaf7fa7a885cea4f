"""Isolation specs: the appointment lifecycle (cancel, reschedule, lead rollup)
under two concurrent sessions, 20 permutations each.

Needs the lifecycle rules (cancellation_metadata, reschedule_metadata,
reschedule_chain, lead_rollup, appointment_history); skipped in a build without them.
"""

from __future__ import annotations

import psycopg
import pytest

from .isolation.consistency import (BOOKING_RULES, assert_calls_follow_appointments, assert_catalog_clean,
                                    require_rules)
from .isolation.runner import Spec, empty, run_spec
from .test_isolation_appointments import reset as reset_calls
from .test_isolation_appointments import two_sessions

LIFECYCLE_RULES = ("cancellation_metadata", "reschedule_metadata", "reschedule_chain", "lead_rollup",
                   "appointment_history")
CATALOG_RULES = (*BOOKING_RULES, "lead_rollup_drift", "missing_lifecycle_metadata")

# Lead 1 has appointment 1 (call 1, 2030-01-07) and appointment 2 (2030-02-07); lead 2 has none.
SETUP = """
INSERT INTO public.leads (id) VALUES (1), (2);
INSERT INTO public.calls (id) VALUES (1);
INSERT INTO public.appointments (id, call_id, lead_id, status, starts_at, ends_at) VALUES
    (1, 1, 1, 'scheduled', '2030-01-07 09:00+00', '2030-01-07 09:30+00'),
    (2, NULL, 1, 'scheduled', '2030-02-07 09:00+00', '2030-02-07 09:30+00');
SELECT setval(pg_get_serial_sequence('public.appointments', 'id'), 100);
"""

OPERATIONS = {
    "cancel": "UPDATE public.appointments SET status = 'cancelled' WHERE id = 1",
    "reschedule": "UPDATE public.appointments SET starts_at = starts_at + interval '1 day' WHERE id = 1",
    "reschedule_chain": "INSERT INTO public.appointments (call_id, lead_id, status, starts_at, ends_at, "
                        "rescheduled_from_id) VALUES (1, 1, 'scheduled', '2030-01-09 09:00+00', "
                        "'2030-01-09 09:30+00', 1)",
    "insert_sooner": "INSERT INTO public.appointments (lead_id, status, starts_at, ends_at) "
                     "VALUES (1, 'scheduled', '2029-12-01 09:00+00', '2029-12-01 09:30+00')",
    "delete_later": "DELETE FROM public.appointments WHERE id = 2",
    "move_later": "UPDATE public.appointments SET lead_id = 2 WHERE id = 2",
}


def reset(conn: psycopg.Connection) -> None:
    reset_calls(conn)
    empty(conn, "public.leads")


def consistent(conn: psycopg.Connection) -> None:
    assert_catalog_clean(conn, CATALOG_RULES)
    assert_calls_follow_appointments(conn)
    stale = conn.execute("SELECT id, appointment_id, dbguard.lead_primary_appointment(id) FROM public.leads "
                         "WHERE appointment_id IS DISTINCT FROM dbguard.lead_primary_appointment(id)").fetchall()
    assert not stale, f"lead rollups not on their primary appointment: {stale}"
    contradictions = conn.execute(
        "SELECT id, status, cancelled_at FROM public.appointments "
        "WHERE (status = 'cancelled') IS DISTINCT FROM (cancelled_at IS NOT NULL)").fetchall()
    assert not contradictions, f"status and cancelled_at disagree: {contradictions}"
    # one history event per lifecycle change, none lost to the race
    events = dict(conn.execute("SELECT event, count(*) FROM public.appointment_events GROUP BY event").fetchall())
    # (an in-place reschedule leaves a 'rescheduled' event; a chain's predecessor a status change)
    appointments = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE cancelled_at IS NOT NULL), "
        "count(*) FILTER (WHERE rescheduled_at IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM public.appointments s WHERE s.rescheduled_from_id = a.id)) FROM public.appointments a"
    ).fetchone()
    assert events.get("cancelled", 0) == appointments[1], events
    assert events.get("rescheduled", 0) >= appointments[2], events


@pytest.fixture
def lifecycle(conn):
    require_rules(conn, *LIFECYCLE_RULES)


def run(dsn: str, first: str, second: str) -> list:
    spec: Spec = two_sessions(f"{first}+{second}", OPERATIONS[first], OPERATIONS[second], setup=SETUP,
                              check=consistent)
    outcomes = run_spec(dsn, spec, reset)
    assert len(outcomes) == 20
    assert all(not o.errors for o in outcomes if o.valid)
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("second", ["reschedule", "reschedule_chain"])
def test_concurrent_cancel_and_reschedule_of_one_appointment_keep_its_metadata_history_and_lead(
        dsn, lifecycle, second):
    run(dsn, "cancel", second)


@pytest.mark.parametrize("first, second", [
    ("insert_sooner", "cancel"),
    ("insert_sooner", "delete_later"),
    ("cancel", "move_later"),
    ("delete_later", "move_later"),
    ("insert_sooner", "insert_sooner"),
])
@pytest.mark.slow
def test_concurrent_writes_to_one_leads_appointments_leave_its_rollup_on_the_primary_appointment(
        dsn, lifecycle, first, second):
    run(dsn, first, second)


CHAIN_VS_BOOKING = Spec(
    name="booking+reschedule_chain",
    setup=SETUP,
    check=consistent,
    sessions={
        # a booking: the claim on the call first, then the appointment of lead 1
        "s1": [("s1_begin", "BEGIN"),
               ("s1_confirm", "UPDATE public.calls SET booking_confirmed = true WHERE id = 1"),
               ("s1_insert", "INSERT INTO public.appointments (call_id, lead_id, status, starts_at, ends_at) "
                             "VALUES (1, 1, 'scheduled', '2030-03-01 09:00+00', '2030-03-01 09:30+00')"),
               ("s1_commit", "COMMIT")],
        # one statement: appointment 1 (call 1, lead 1) rescheduled into a new one
        "s2": [("s2_begin", "BEGIN"), ("s2_chain", OPERATIONS["reschedule_chain"]), ("s2_commit", "COMMIT")],
    },
)


@pytest.mark.slow
def test_a_reschedule_into_a_new_appointment_takes_the_call_before_the_lead_like_a_booking(dsn, lifecycle):
    """Locking the lead (retiring the predecessor) before the call (link sync of the
    new row) would deadlock: s1 confirm, s2 chain, s1 insert."""
    outcomes = run_spec(dsn, CHAIN_VS_BOOKING, reset)
    assert len(outcomes) == 35
    assert all(not o.errors for o in outcomes if o.valid)


CHAIN_VS_DELETE = Spec(
    name="touch_and_delete+reschedule_chain",
    setup=SETUP,
    check=consistent,
    sessions={
        # holds appointment 1's row, then deletes it (which locks call 1)
        "s1": [("s1_begin", "BEGIN"),
               ("s1_touch", "UPDATE public.appointments SET notes = 'called back' WHERE id = 1"),
               ("s1_delete", "DELETE FROM public.appointments WHERE id = 1"),
               ("s1_commit", "COMMIT")],
        "s2": [("s2_begin", "BEGIN"), ("s2_chain", OPERATIONS["reschedule_chain"]), ("s2_commit", "COMMIT")],
    },
    # the chain's predecessor deleted under it: the foreign key refuses the link
    allowed_errors={"s2_chain": ("23503",)},
)


@pytest.mark.slow
def test_a_reschedule_into_a_new_appointment_locks_the_predecessor_before_the_call_like_a_delete(dsn, lifecycle):
    """A first fix that locked the call before the predecessor row deadlocked with
    a session holding the predecessor and then deleting it (row, then call)."""
    outcomes = run_spec(dsn, CHAIN_VS_DELETE, reset)
    assert len(outcomes) == 35
    assert all(set(o.errors) <= {"s2_chain"} for o in outcomes if o.valid)
