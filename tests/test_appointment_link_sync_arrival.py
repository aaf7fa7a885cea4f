"""A new appointment links its call with one UPDATE instead of reading the call and its newest
appointment into variables first. For every state a call can be in when an appointment arrives,
the call ends up as that state dictates, whatever the transaction did before."""

from __future__ import annotations

import datetime as dt

import pytest

from .plugins.calls import START, call, new_appointment, new_call, update

PAST = dt.datetime(2030, 1, 1, 8, 0, tzinfo=dt.timezone.utc)

# What the call looks like, with ids replaced by their role and times by where they came from.
PROJECTED = """
    SELECT appointment_link_status,
           CASE appointment_id WHEN %(new)s THEN 'new' WHEN %(other)s THEN 'other' ELSE appointment_id::text END,
           appointment_made, session_outcome,
           CASE WHEN appointment_linked_at IS NULL THEN 'null' WHEN appointment_linked_at = now() THEN 'now'
                WHEN appointment_linked_at = %(past)s THEN 'past' ELSE 'other' END,
           updated_at = now(),
           ctid <> %(ctid)s::tid AS written,
           current_setting('dbguard.linking_call', true)
      FROM public.calls WHERE id = %(call)s
"""


def arrive(conn, state: str) -> tuple:
    """A call in ``state``, then an appointment for it; the call's projection afterwards."""
    call_id = new_call(conn, direction="inbound")
    other = None
    new_id = None
    if state == "creation failed":
        update(conn, "calls", call_id, appointment_link_status="creation_failed", session_outcome="no_appointment")
    elif state == "linked to an older appointment":
        other = new_appointment(conn, call_id)
        update(conn, "calls", call_id, appointment_linked_at=PAST)
    elif state in ("in sync with a newer appointment", "newer appointment, linked_at missing",
                   "newer appointment, other outcome"):
        # The new appointment gets a lower id than the one the call already shows: the newest
        # appointment, and so the call, stay as they are (or are completed).
        new_id = conn.execute("SELECT nextval('public.appointments_id_seq')").fetchone()[0]
        other = new_appointment(conn, call_id)
        update(conn, "calls", call_id, appointment_linked_at=PAST)
        if state == "newer appointment, linked_at missing":
            update(conn, "calls", call_id, appointment_linked_at=None)
        if state == "newer appointment, other outcome":
            update(conn, "calls", call_id, session_outcome="callback_requested")
    ctid = conn.execute("SELECT ctid::text FROM public.calls WHERE id = %s", (call_id,)).fetchone()[0]
    cols = {"id": new_id} if new_id else {}
    new_id = new_appointment(conn, call_id, **cols)
    return conn.execute(PROJECTED, {"new": new_id, "other": other or -1, "past": PAST, "ctid": ctid,
                                    "call": call_id}).fetchone()


STATES = ["new call", "creation failed", "linked to an older appointment", "in sync with a newer appointment",
          "newer appointment, linked_at missing", "newer appointment, other outcome"]


@pytest.mark.parametrize("state", STATES)
def test_a_new_appointment_leaves_its_call_the_same_way_every_time_in_one_transaction(conn, state):
    # A second arrival from the same state in the same transaction must not see what the first left.
    first = arrive(conn, state)
    assert arrive(conn, state) == first


def test_a_call_already_in_sync_is_not_written(conn):
    status, appointment, made, outcome, linked_at, touched, written, marker = arrive(
        conn, "in sync with a newer appointment")
    assert (status, appointment, made, outcome, linked_at) == ("linked", "other", True, "appointment_booked", "past")
    assert not written
    assert marker == ""


@pytest.mark.parametrize("state,expected", [
    ("new call", ("linked", "new", True, "appointment_booked", "now", True, True, "")),
    ("creation failed", ("linked", "new", True, "appointment_booked", "now", True, True, "")),
    ("linked to an older appointment", ("linked", "new", True, "appointment_booked", "now", True, True, "")),
    ("newer appointment, linked_at missing", ("linked", "other", True, "appointment_booked", "now", True, True, "")),
    # outcome_flag_sync keeps a call with an appointment booked when another outcome is written, so the
    # call is already in sync when the appointment arrives and is not written again.
    ("newer appointment, other outcome", ("linked", "other", True, "appointment_booked", "past", True, False, "")),
])
def test_a_new_appointment_links_its_call(conn, state, expected):
    assert arrive(conn, state) == expected


def test_a_multi_row_insert_links_each_call_to_its_newest_appointment(conn):
    calls = [new_call(conn, direction="inbound") for _ in range(3)]
    ids = [r[0] for r in conn.execute(
        "INSERT INTO public.appointments (call_id, starts_at) "
        "SELECT c, %s FROM unnest(%s::bigint[]) c, generate_series(1, 2) ORDER BY c RETURNING id",
        (START, calls)).fetchall()]
    for n, call_id in enumerate(calls):
        stored = call(conn, call_id)
        assert (stored["appointment_link_status"], stored["appointment_id"], stored["appointment_made"]) == \
            ("linked", max(ids[2 * n:2 * n + 2]), True)
