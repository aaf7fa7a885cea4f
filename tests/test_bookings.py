"""validate_appointment_creation, rollback_booking_flags and enqueue_review, in SQL and from Python."""

from __future__ import annotations

import datetime as dt

import pytest

import dbguard
from dbguard.errors import RuleViolation

from .plugins.calls import START, alerts, call, new_appointment, new_call, reviews, update


@pytest.fixture
def booked(conn):
    """A call and the appointment it just created, with the provider's booking id."""
    call_id = new_call(conn, booking_id="cal-1")
    appointment = new_appointment(conn, call_id, calcom_v2_booking_id="cal-1")
    return call_id, appointment


def test_a_fresh_appointment_of_the_call_validates(conn, booked):
    call_id, appointment = booked
    result = dbguard.validate_appointment_creation(conn, call_id, appointment, "cal-1")
    assert result and (result.success, result.reason) == (True, None)
    assert result.details["appointment_id"] == appointment
    assert dbguard.validate_appointment_creation(conn, call_id, appointment).success, "call's booking_id is used"


def test_sql_function_returns_success_reason_details(conn, booked):
    call_id, appointment = booked
    assert conn.execute("SELECT success, reason FROM dbguard.validate_appointment_creation(%s, %s, %s)",
                        (call_id, appointment, "cal-1")).fetchone() == (True, None)


def test_appointment_not_found(conn, booked):
    call_id, _ = booked
    result = dbguard.validate_appointment_creation(conn, call_id, 999999, "cal-1")
    assert (result.success, result.reason) == (False, "appointment_not_found")
    assert dbguard.validate_appointment_creation(conn, call_id, None).reason == "appointment_not_found"


def test_appointment_not_linked(conn, booked):
    _, appointment = booked
    other = new_call(conn)
    result = dbguard.validate_appointment_creation(conn, other, appointment, "cal-1")
    assert (result.success, result.reason) == (False, "appointment_not_linked")
    assert result.details["appointment_call_id"] == booked[0]


def test_booking_id_mismatch(conn, booked):
    call_id, appointment = booked
    result = dbguard.validate_appointment_creation(conn, call_id, appointment, "cal-2")
    assert (result.success, result.reason) == (False, "booking_id_mismatch")
    assert result.details["appointment_keys"] == {"calcom_v2_booking_id": "cal-1"}
    update(conn, "calls", call_id, booking_id="cal-9")
    assert dbguard.validate_appointment_creation(conn, call_id, appointment).reason == "booking_id_mismatch"


def test_stale_when_the_appointment_predates_the_call_by_more_than_an_hour(conn):
    old = new_appointment(conn, None)
    conn.commit()
    conn.execute("UPDATE public.appointments SET created_at = created_at - interval '1 day' WHERE id = %s", (old,))
    call_id = new_call(conn)
    update(conn, "appointments", old, call_id=call_id)
    result = dbguard.validate_appointment_creation(conn, call_id, old, None)
    assert (result.success, result.reason) == (False, "stale_timestamps")
    assert result.details["created_before_call"] is True


def test_an_appointment_created_shortly_before_the_call_row_is_not_stale(conn):
    appointment = new_appointment(conn, None)
    conn.commit()
    conn.execute("UPDATE public.appointments SET created_at = created_at - interval '20 minutes' WHERE id = %s",
                 (appointment,))
    call_id = new_call(conn)  # the application saved the call when it ended
    update(conn, "appointments", appointment, call_id=call_id)
    assert dbguard.validate_appointment_creation(conn, call_id, appointment).success


def test_stale_when_the_slot_is_in_the_past(conn):
    call_id = new_call(conn)
    past = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    appointment = new_appointment(conn, call_id, starts_at=past, ends_at=past + dt.timedelta(hours=1))
    result = dbguard.validate_appointment_creation(conn, call_id, appointment)
    assert (result.reason, result.details["starts_before_booked"]) == ("stale_timestamps", True)


def test_validation_tolerates_nulls(conn):
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id, starts_at=None, ends_at=None)
    assert dbguard.validate_appointment_creation(conn, call_id, appointment, None).success
    assert dbguard.validate_appointment_creation(conn, None, None, None).reason == "appointment_not_found"


def test_rollback_booking_flags_rolls_back_alerts_and_queues(conn):
    call_id = new_call(conn, booking_confirmed=True, appointment_made=True, session_outcome="appointment_booked")
    review_id = dbguard.rollback_booking_flags(conn, call_id, "calcom_booking_failed")
    row = call(conn, call_id)
    assert (row["booking_confirmed"], row["appointment_made"], row["session_outcome"], row["appointment_link_status"]) \
        == (False, False, "creation_failed", "creation_failed")
    [alert] = alerts(conn)
    assert (alert["alert_type"], alert["severity"], alert["auto_corrected"]) == \
        ("confirmed_without_appointment", "critical", True)
    [review] = reviews(conn, call_id)
    assert (review["id"], review["reason"], review["priority"]) == (review_id, "calcom_booking_failed", 2)
    conn.commit()  # nothing left for the commit-time check to complain about
    assert call(conn, call_id)["session_outcome"] == "creation_failed"


def test_rollback_booking_flags_defaults_to_appointment_validation_failed_in_sql(conn):
    call_id = new_call(conn, booking_confirmed=True)
    conn.execute("SELECT dbguard.rollback_booking_flags(%s)", (call_id,))
    assert [r["priority"] for r in reviews(conn, call_id)] == [1]


def test_rollback_booking_flags_on_a_missing_call_is_a_clear_error(conn):
    with pytest.raises(RuleViolation, match="no call with id 424242"):
        dbguard.rollback_booking_flags(conn, 424242)


def test_enqueue_review_wrapper(conn):
    call_id = new_call(conn)
    first = dbguard.enqueue_review(conn, call_id, "service_not_found", {"service_name": "Cut"})
    again = dbguard.enqueue_review(conn, call_id, "service_not_found", {"tried": 2})
    assert first == again
    [review] = reviews(conn, call_id)
    # A repeat is counted; the first request's context is the evidence (docs/security.md).
    assert review["context"] == {"service_name": "Cut"} and review["occurrences"] == 2 and review["priority"] == 4
