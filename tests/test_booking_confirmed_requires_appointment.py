"""Rule booking_confirmed_requires_appointment: checked at commit, whatever order the writes came in."""

from __future__ import annotations

import threading

import psycopg
import pytest

import dbguard
from dbguard.errors import BookingWithoutAppointment

from .plugins.calls import START, alerts, call, new_appointment, new_call, reviews, update, wait_until_blocked

RULE = "booking_confirmed_requires_appointment"
CLAIM = {"booking_confirmed": True, "appointment_made": True, "session_outcome": "appointment_booked"}


def broken_application(conn) -> int:
    """What the phone-AI flow did: flag the booking first, then the appointment
    INSERT fails inside a savepoint that is rolled back, the exception is
    swallowed, and the transaction commits anyway."""
    call_id = new_call(conn, retell_call_id="retell-broken", booking_id="cal-123")
    update(conn, "calls", call_id, **CLAIM)
    try:
        with conn.transaction():  # savepoint
            new_appointment(conn, call_id, ends_at=START)  # ends_at = starts_at: CHECK fails
    except psycopg.errors.CheckViolation:
        pass  # swallowed
    return call_id


def test_enforce_the_broken_flow_fails_at_commit_and_leaves_nothing(conn, set_mode):
    set_mode(RULE, "enforce")
    broken_application(conn)
    with pytest.raises(BookingWithoutAppointment) as err:
        conn.commit()
    diag = err.value.diag
    assert diag.sqlstate == "23Q03"
    assert "call " in diag.message_primary and "has no appointment" in diag.message_primary
    assert "call_id" in diag.message_detail and "rollback_booking_flags" in diag.message_hint
    assert conn.execute("SELECT count(*) FROM public.calls").fetchone()[0] == 0
    assert alerts(conn) == []


def test_correct_the_broken_flow_ends_creation_failed_with_alert_and_review(conn):
    call_id = broken_application(conn)
    conn.commit()
    row = call(conn, call_id)
    assert (row["booking_confirmed"], row["appointment_made"], row["session_outcome"], row["appointment_link_status"]) \
        == (False, False, "creation_failed", "creation_failed")
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["severity"], alert["auto_corrected"], alert["entity_id"]) == \
        ("confirmed_without_appointment", "critical", True, str(call_id))
    [review] = reviews(conn, call_id)
    assert (review["reason"], review["priority"], review["status"]) == ("appointment_validation_failed", 1, "pending")
    assert review["context"]["previous"]["booking_confirmed"] is True


def test_alert_the_broken_flow_commits_as_written_with_one_alert(conn, set_mode):
    set_mode(RULE, "alert")
    call_id = broken_application(conn)
    update(conn, "calls", call_id, call_successful=True)  # another write queues another check
    conn.commit()
    row = call(conn, call_id)
    assert (row["booking_confirmed"], row["appointment_made"]) == (True, True)
    assert [(a["alert_type"], a["auto_corrected"]) for a in alerts(conn, RULE)] == \
        [("confirmed_without_appointment", False)]
    assert reviews(conn, call_id) == []


def test_off_the_broken_flow_commits_untouched(conn, set_mode):
    set_mode(RULE, "off")
    call_id = broken_application(conn)
    conn.commit()
    assert call(conn, call_id)["booking_confirmed"] is True
    assert alerts(conn) == [] and reviews(conn, call_id) == []


def _call_first(conn):
    call_id = new_call(conn)
    new_appointment(conn, call_id)
    update(conn, "calls", call_id, **CLAIM)
    return call_id


def _flag_first(conn):
    call_id = new_call(conn, **CLAIM)
    new_appointment(conn, call_id)
    return call_id


def _appointment_first(conn):
    appointment = new_appointment(conn, None)
    call_id = new_call(conn, booking_confirmed=True)
    update(conn, "appointments", appointment, call_id=call_id)
    return call_id


def _flag_last(conn):
    call_id = new_call(conn)
    appointment = new_appointment(conn, None)
    update(conn, "appointments", appointment, call_id=call_id)
    update(conn, "calls", call_id, booking_confirmed=True)
    return call_id


@pytest.mark.parametrize("mode", ["correct", "enforce"])
@pytest.mark.parametrize("write", [_call_first, _flag_first, _appointment_first, _flag_last])
def test_happy_path_in_any_write_order_commits_clean_without_alert(conn, mode, write):
    dbguard.set_modes(conn, dict.fromkeys(("customer_link_sync", "outcome_flag_sync", "appointment_link_sync", RULE),
                                          mode))
    conn.commit()
    call_id = write(conn)
    conn.commit()
    row = call(conn, call_id)
    assert (row["booking_confirmed"], row["appointment_made"], row["session_outcome"], row["appointment_link_status"]) \
        == (True, True, "appointment_booked", "linked")
    assert alerts(conn) == [] and reviews(conn, call_id) == []


def test_a_claim_taken_back_before_commit_is_fine(conn, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn, **CLAIM)
    update(conn, "calls", call_id, booking_confirmed=False, appointment_made=False, session_outcome="creation_failed")
    conn.commit()
    assert call(conn, call_id)["session_outcome"] == "creation_failed"


@pytest.mark.parametrize("link_sync", ["correct", "off"])
def test_enforce_deleting_the_last_appointment_of_a_confirmed_call_fails_at_commit(conn, set_mode, link_sync):
    set_mode("appointment_link_sync", link_sync)
    call_id = new_call(conn, booking_confirmed=True)
    appointment = new_appointment(conn, call_id)
    conn.commit()
    set_mode(RULE, "enforce")
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (appointment,))
    with pytest.raises(BookingWithoutAppointment, match=f"call {call_id} claims a booking"):
        conn.commit()
    assert call(conn, call_id)["booking_confirmed"] is True


def test_correct_moving_the_appointment_away_rolls_the_claim_back(conn):
    call_a, call_b = new_call(conn, booking_confirmed=True), new_call(conn)
    appointment = new_appointment(conn, call_a)
    conn.commit()
    update(conn, "appointments", appointment, call_id=call_b)
    conn.commit()
    assert call(conn, call_a)["session_outcome"] == "creation_failed"
    assert call(conn, call_b)["appointment_made"] is True
    assert [r["reason"] for r in reviews(conn, call_a)] == ["appointment_validation_failed"]


def test_a_cancelled_appointment_still_counts(conn, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn, booking_confirmed=True)
    new_appointment(conn, call_id, status="cancelled")
    conn.commit()
    assert call(conn, call_id)["booking_confirmed"] is True


def test_enforce_a_confirmation_and_a_parallel_delete_of_the_last_appointment_cannot_both_commit(
        conn, connect, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id)
    conn.commit()

    confirmer, deleter, watcher = connect(), connect(), connect(autocommit=True)
    update(confirmer, "calls", call_id, booking_confirmed=True)  # holds the call's lock
    outcome: list[BaseException | None] = []

    def delete_and_commit():
        try:
            deleter.execute("DELETE FROM public.appointments WHERE id = %s", (appointment,))
            deleter.commit()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=delete_and_commit)
    thread.start()
    wait_until_blocked(watcher, deleter.info.backend_pid)  # the delete's trigger waits for the call
    confirmer.commit()  # its check still sees the appointment: fine
    thread.join(30)

    assert len(outcome) == 1 and isinstance(outcome[0], BookingWithoutAppointment), outcome
    assert watcher.execute("SELECT count(*) FROM public.appointments WHERE call_id = %s", (call_id,)).fetchone()[0] == 1
    assert call(watcher, call_id)["booking_confirmed"] is True


def test_set_constraints_immediate_checks_at_the_statement(conn, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn)
    conn.execute("SET CONSTRAINTS dbguard_900_booking_confirmed_requires_appointment IMMEDIATE")
    with pytest.raises(BookingWithoutAppointment):
        update(conn, "calls", call_id, booking_confirmed=True)
