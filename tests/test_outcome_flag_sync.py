"""Rule outcome_flag_sync: session_outcome = 'appointment_booked' exactly when appointment_made."""

from __future__ import annotations

import pytest

from dbguard.errors import FlagMismatch, VocabularyViolation

from .plugins.calls import alerts, call, new_call, update

RULE = "outcome_flag_sync"


def _flags(conn, call_id):
    row = call(conn, call_id)
    return row["session_outcome"], row["appointment_made"]


def _types(conn):
    return [(a["alert_type"], a["auto_corrected"]) for a in alerts(conn, RULE)]


@pytest.fixture(autouse=True)
def _claims_not_checked_at_commit(set_mode):
    # These tests look at the two flags only; the commit-time check has its own tests.
    set_mode("booking_confirmed_requires_appointment", "off")


@pytest.mark.parametrize("outcome, made", [("appointment_booked", True), ("no_appointment", False),
                                           (None, False), ("information_only", False)])
def test_agreeing_flags_are_left_alone(conn, outcome, made):
    call_id = new_call(conn, session_outcome=outcome, appointment_made=made)
    assert _flags(conn, call_id) == (outcome, made) and alerts(conn) == []


def test_made_without_outcome_gets_the_outcome_silently(conn):
    call_id = new_call(conn, appointment_made=True)
    assert _flags(conn, call_id) == ("appointment_booked", True) and alerts(conn, RULE) == []


def test_new_row_with_a_phantom_booking_the_claim_wins_and_is_recorded(conn):
    call_id = new_call(conn, session_outcome="appointment_booked", appointment_made=False)
    assert _flags(conn, call_id) == ("appointment_booked", True)
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["severity"], alert["auto_corrected"]) == \
        ("session_outcome_mismatch", "critical", True)


def test_new_row_made_with_another_outcome_the_claim_wins(conn):
    call_id = new_call(conn, session_outcome="information_only", appointment_made=True)
    assert _flags(conn, call_id) == ("appointment_booked", True)
    assert _types(conn) == [("appointment_made_mismatch", True)]


def test_update_of_one_side_wins_over_the_stored_other_side(conn):
    call_id = new_call(conn, session_outcome="appointment_booked", appointment_made=True)
    update(conn, "calls", call_id, appointment_made=False)
    assert _flags(conn, call_id) == ("no_appointment", False)
    update(conn, "calls", call_id, session_outcome="appointment_booked")
    assert _flags(conn, call_id) == ("appointment_booked", True)
    # Both writes left a phantom booking (outcome booked, flag false) for the rule to settle.
    assert _types(conn) == [("session_outcome_mismatch", True), ("session_outcome_mismatch", True)]


def test_off_mode_changes_nothing(conn, set_mode):
    set_mode(RULE, "off")
    call_id = new_call(conn, session_outcome="appointment_booked", appointment_made=False)
    assert _flags(conn, call_id) == ("appointment_booked", False) and alerts(conn) == []


def test_alert_mode_records_and_leaves_the_row(conn, set_mode):
    set_mode(RULE, "alert")
    call_id = new_call(conn, session_outcome="appointment_booked", appointment_made=False)
    assert _flags(conn, call_id) == ("appointment_booked", False)
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["auto_corrected"]) == ("session_outcome_mismatch", False)
    assert alert["details"]["expected"] == {"session_outcome": "appointment_booked", "appointment_made": True}


@pytest.mark.parametrize("outcome, made", [("appointment_booked", False), ("no_appointment", True)])
def test_enforce_mode_refuses_disagreeing_flags(conn, set_mode, outcome, made):
    set_mode(RULE, "enforce")
    with pytest.raises(FlagMismatch) as err:
        new_call(conn, session_outcome=outcome, appointment_made=made)
    diag = err.value.diag
    assert diag.sqlstate == "23Q06" and "session_outcome" in diag.message_primary
    assert "appointment_made" in diag.message_hint


def test_enforce_mode_accepts_agreeing_writes_and_fills_a_missing_outcome(conn, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn, appointment_made=True)
    assert _flags(conn, call_id) == ("appointment_booked", True)
    update(conn, "calls", call_id, appointment_made=False, session_outcome="creation_failed")
    assert _flags(conn, call_id) == ("creation_failed", False)


def test_enforce_mode_refuses_an_unknown_outcome_naming_column_and_allowed_values(conn, set_mode):
    set_mode(RULE, "enforce")
    with pytest.raises(VocabularyViolation) as err:
        new_call(conn, session_outcome="booked!")
    assert "public.calls.session_outcome" in err.value.diag.message_primary
    assert "appointment_booked" in err.value.diag.message_detail and "voicemail" in err.value.diag.message_detail


def test_correct_mode_normalises_a_case_variant_and_refuses_an_unknown_outcome(conn):
    assert _flags(conn, new_call(conn, session_outcome=" Appointment_Booked", appointment_made=True)) \
        == ("appointment_booked", True)
    with pytest.raises(VocabularyViolation) as err:
        new_call(conn, session_outcome="booked!")
    assert "'booked!'" in err.value.diag.message_primary and "appointment_booked" in err.value.diag.message_detail
    conn.rollback()


def test_the_reverse_mismatch_is_an_appointment_made_mismatch(conn):
    call_id = new_call(conn, session_outcome="no_appointment", appointment_made=True)
    assert _flags(conn, call_id) == ("appointment_booked", True)
    assert _types(conn) == [("appointment_made_mismatch", True)]


def test_correct_mode_warns_the_client_with_the_message_detail_and_hint_of_enforce(conn, set_mode):
    heard = []
    # A notice's fields are readable only inside the handler.
    conn.add_notice_handler(lambda n: heard.append(
        (n.severity_nonlocalized, n.sqlstate, n.message_primary, n.message_detail, n.message_hint)))
    call_id = new_call(conn, session_outcome="appointment_booked", appointment_made=False)
    [warning] = [n[1:] for n in heard if n[0] == "WARNING"]
    conn.rollback()
    set_mode(RULE, "enforce")
    with pytest.raises(FlagMismatch) as err:
        new_call(conn, id=call_id, session_outcome="appointment_booked", appointment_made=False)
    refused = err.value.diag
    assert warning == (refused.sqlstate, refused.message_primary, refused.message_detail, refused.message_hint)
    assert warning[0] == "23Q06"


@pytest.mark.parametrize("write", [{"session_outcome": "no_appointment"}, {"appointment_made": False}])
def test_a_call_with_an_appointment_keeps_its_booking_when_one_side_denies_it(conn, write):
    from .plugins.calls import new_appointment
    call_id = new_call(conn)
    new_appointment(conn, call_id)
    update(conn, "calls", call_id, booking_confirmed=True)
    update(conn, "calls", call_id, **write)
    row = call(conn, call_id)
    assert (row["session_outcome"], row["appointment_made"], row["appointment_link_status"], row["booking_confirmed"]) \
        == ("appointment_booked", True, "linked", True)
    [alert] = alerts(conn, RULE)
    assert alert["auto_corrected"] and alert["details"]["repaired_column"] == next(iter(write))
