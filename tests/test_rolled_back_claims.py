"""A booking claim that booking_confirmed_requires_appointment took back in correct mode (at the
commit of a transaction that had no appointment for the call) is restored, with its review entry
and alerts resolved, when the appointment arrives in a later transaction: the two-phase import
(calls file, then appointments file) keeps every claim its appointments back."""

from __future__ import annotations

from .plugins.calls import alerts, call, new_appointment, new_call, reviews

RULE = "booking_confirmed_requires_appointment"


def _claiming_call(conn) -> int:
    call_id = new_call(conn, booking_confirmed=True, appointment_made=True, session_outcome="appointment_booked",
                       booking_id="cal-1")
    conn.commit()
    return call_id


def _flags(conn, call_id):
    row = call(conn, call_id)
    return (row["booking_confirmed"], row["appointment_made"], row["session_outcome"], row["appointment_link_status"])


def test_a_claim_rolled_back_at_commit_is_restored_when_its_appointment_arrives(conn):
    call_id = _claiming_call(conn)
    assert _flags(conn, call_id) == (False, False, "creation_failed", "creation_failed")
    [review] = reviews(conn, call_id)
    assert review["status"] == "pending"
    new_appointment(conn, call_id)
    conn.commit()
    assert _flags(conn, call_id) == (True, True, "appointment_booked", "linked")
    [review] = reviews(conn, call_id)
    assert (review["status"], review["resolved_by"]) == ("resolved", "dbguard")
    assert [(a["alert_type"], a["resolved_by"] is not None) for a in alerts(conn, RULE)] == \
        [("confirmed_without_appointment", True)]


def test_a_claim_made_only_by_appointment_made_gets_no_booking_confirmed(conn):
    call_id = new_call(conn, appointment_made=True, session_outcome="appointment_booked")
    conn.commit()
    new_appointment(conn, call_id)
    conn.commit()
    assert _flags(conn, call_id) == (False, True, "appointment_booked", "linked")
    assert [r["status"] for r in reviews(conn, call_id)] == ["resolved"]


def test_a_claim_whose_appointment_never_arrives_stays_rolled_back_and_open(conn):
    call_id = _claiming_call(conn)
    other = _claiming_call(conn)
    new_appointment(conn, other)
    conn.commit()
    assert _flags(conn, call_id) == (False, False, "creation_failed", "creation_failed")
    assert [r["status"] for r in reviews(conn, call_id)] == ["pending"]
    assert [a["resolved_at"] for a in alerts(conn, RULE) if a["entity_id"] == str(call_id)] == [None]


def test_a_review_the_application_queued_for_the_call_stays_open(conn):
    call_id = _claiming_call(conn)
    conn.execute("SELECT dbguard.enqueue_review(%s, 'calcom_booking_failed', '{}')", (call_id,))
    new_appointment(conn, call_id)
    conn.commit()
    assert {r["reason"]: r["status"] for r in reviews(conn, call_id)} == \
        {"appointment_validation_failed": "resolved", "calcom_booking_failed": "pending"}


def test_a_two_phase_import_keeps_exactly_the_claims_its_appointments_back(conn):
    calls = [new_call(conn, booking_confirmed=True, appointment_made=True, session_outcome="appointment_booked")
             for _ in range(10)]
    conn.commit()
    backed = calls[::2]
    conn.execute("INSERT INTO public.appointments (call_id, starts_at, ends_at) "
                 "SELECT c, now() + interval '1 day', now() + interval '1 day 30 minutes' FROM unnest(%s::bigint[]) c",
                 (backed,))
    conn.commit()
    confirmed = {c for (c,) in conn.execute("SELECT id FROM public.calls WHERE booking_confirmed").fetchall()}
    assert confirmed == set(backed)
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue WHERE status = 'pending'").fetchone()[0] == 5


def test_an_appointment_moved_to_a_rolled_back_call_restores_its_claim(conn):
    call_id = _claiming_call(conn)
    appointment = new_appointment(conn, None)
    conn.execute("UPDATE public.appointments SET call_id = %s WHERE id = %s", (call_id, appointment))
    conn.commit()
    assert _flags(conn, call_id) == (True, True, "appointment_booked", "linked")


def test_the_restore_function_does_nothing_for_a_call_without_appointment(conn):
    call_id = _claiming_call(conn)
    assert conn.execute("SELECT dbguard.restore_rolled_back_claim(%s)", (call_id,)).fetchone()[0] is False
    assert _flags(conn, call_id) == (False, False, "creation_failed", "creation_failed")
    assert [r["status"] for r in reviews(conn, call_id)] == ["pending"]
