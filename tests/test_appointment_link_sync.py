"""Rule appointment_link_sync: a call's link columns follow the appointments that exist for it."""

from __future__ import annotations

import pytest

from dbguard.errors import VocabularyViolation

from .plugins.calls import alerts, call, new_appointment, new_call, update

RULE = "appointment_link_sync"


def _link(conn, call_id):
    row = call(conn, call_id)
    return (row["appointment_link_status"], row["appointment_id"], row["appointment_made"], row["session_outcome"],
            row["appointment_linked_at"] is not None)


def unlinked(outcome=None):
    return ("unlinked", None, False, outcome, False)


def linked(appointment_id):
    return ("linked", appointment_id, True, "appointment_booked", True)


def test_an_appointment_links_its_call_silently(conn):
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id)
    assert _link(conn, call_id) == linked(appointment)
    assert alerts(conn) == []


def test_deleting_one_of_two_appointments_keeps_the_call_linked_deleting_the_last_unlinks(conn):
    call_id = new_call(conn)
    first, second = new_appointment(conn, call_id), new_appointment(conn, call_id)
    assert _link(conn, call_id) == linked(second), "the newest appointment represents the call"

    conn.execute("DELETE FROM public.appointments WHERE id = %s", (second,))
    assert _link(conn, call_id) == linked(first)
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (first,))
    assert _link(conn, call_id) == unlinked("no_appointment")


def test_moving_an_appointment_to_another_call_updates_both_calls(conn):
    call_a, call_b = new_call(conn), new_call(conn)
    appointment = new_appointment(conn, call_a)
    update(conn, "appointments", appointment, call_id=call_b)
    assert _link(conn, call_a) == unlinked("no_appointment")
    assert _link(conn, call_b) == linked(appointment)

    update(conn, "appointments", appointment, call_id=None)
    assert _link(conn, call_b) == unlinked("no_appointment")


def test_moving_keeps_a_call_that_still_has_another_appointment_linked(conn):
    call_a, call_b = new_call(conn), new_call(conn)
    stays, moves = new_appointment(conn, call_a), new_appointment(conn, call_a)
    update(conn, "appointments", moves, call_id=call_b)
    assert _link(conn, call_a) == linked(stays)
    assert _link(conn, call_b) == linked(moves)


def test_session_outcome_other_than_booked_is_kept_when_unlinking(conn):
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id)
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (appointment,))
    update(conn, "calls", call_id, session_outcome="appointment_cancelled")
    new_appointment(conn, None)  # an appointment without a call touches no call
    assert _link(conn, call_id) == unlinked("appointment_cancelled")


def test_a_failed_creation_stays_visible_until_an_appointment_arrives(conn):
    call_id = new_call(conn, appointment_link_status="creation_failed")
    other = new_appointment(conn, None)
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (other,))
    assert call(conn, call_id)["appointment_link_status"] == "creation_failed"
    appointment = new_appointment(conn, call_id)
    assert _link(conn, call_id) == linked(appointment)


def test_linked_at_is_kept_while_the_same_appointment_stays(conn):
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id)
    conn.commit()
    before = call(conn, call_id)["appointment_linked_at"]
    update(conn, "appointments", appointment, call_id=call_id, notes="touched")
    assert call(conn, call_id)["appointment_linked_at"] == before


def test_off_mode_changes_nothing(conn, set_mode):
    set_mode(RULE, "off")
    call_id = new_call(conn)
    new_appointment(conn, call_id)
    assert _link(conn, call_id) == unlinked()
    assert alerts(conn) == []


def test_alert_mode_records_and_leaves_the_call(conn, set_mode):
    set_mode(RULE, "alert")
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id)
    assert _link(conn, call_id) == unlinked()
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["entity_id"], alert["auto_corrected"]) == \
        ("link_status_mismatch", str(call_id), False)
    assert alert["details"]["expected"]["appointment_id"] == appointment


def test_enforce_mode_maintains_the_link(conn, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn)
    appointment = new_appointment(conn, call_id)
    assert _link(conn, call_id) == linked(appointment)


def test_enforce_mode_refuses_an_unknown_link_status_naming_column_and_allowed_values(conn, set_mode):
    set_mode(RULE, "enforce")
    call_id = new_call(conn)
    with pytest.raises(VocabularyViolation) as err:
        update(conn, "calls", call_id, appointment_link_status="half-linked")
    assert "public.calls.appointment_link_status" in err.value.diag.message_primary
    assert "creation_failed, linked, unlinked" in err.value.diag.message_detail


def test_correct_mode_normalises_a_case_variant_and_refuses_an_unknown_link_status(conn):
    call_id = new_call(conn)
    new_appointment(conn, call_id)
    update(conn, "calls", call_id, appointment_link_status=" Creation_Failed")
    assert call(conn, call_id)["appointment_link_status"] == "creation_failed"
    assert [a["alert_type"] for a in alerts(conn, RULE)] == ["vocabulary_violation"]
    with pytest.raises(VocabularyViolation, match="appointment_link_status"):
        update(conn, "calls", call_id, appointment_link_status="half-linked")


@pytest.mark.parametrize("mode", ["correct", "alert", "enforce"])
def test_a_new_call_without_link_status_is_unlinked_silently(conn, set_mode, mode):
    set_mode(RULE, mode)
    assert call(conn, new_call(conn, appointment_link_status=None))["appointment_link_status"] == "unlinked"
    assert alerts(conn, RULE) == []


def test_an_import_of_calls_without_link_status_in_alert_mode_raises_no_alert_but_a_contradiction_does(
        conn, set_mode):
    """1,000 calls copied in with an empty appointment_link_status (what a CSV export gives): filling the
    derived 'unlinked' is maintenance. An appointment that the call then does not reflect is a contradiction
    correct mode would repair, and alert mode still records it."""
    set_mode(RULE, "alert")
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Import') RETURNING id").fetchone()[0]
    with conn.cursor().copy("COPY public.calls (company_id, retell_call_id, direction, appointment_link_status) "
                            "FROM STDIN") as copy:
        for n in range(1000):
            copy.write_row((company, f"import-{n}", "inbound", None))
    statuses = conn.execute("SELECT appointment_link_status, count(*) FROM public.calls "
                            "WHERE retell_call_id LIKE 'import-%%' GROUP BY 1").fetchall()
    assert statuses == [("unlinked", 1000)]
    assert alerts(conn, RULE) == []

    call_id = conn.execute("SELECT id FROM public.calls WHERE retell_call_id = 'import-7'").fetchone()[0]
    appointment = new_appointment(conn, call_id)
    [alert] = alerts(conn, RULE)
    assert (alert["alert_type"], alert["entity_id"], alert["auto_corrected"]) == \
        ("link_status_mismatch", str(call_id), False)
    assert alert["details"]["expected"]["appointment_id"] == appointment


def test_nulls_do_not_break_the_rule(conn):
    call_id = new_call(conn, appointment_link_status=None, session_outcome=None)
    appointment = new_appointment(conn, None, starts_at=None, ends_at=None, status=None)
    update(conn, "appointments", appointment, call_id=call_id)
    assert _link(conn, call_id) == linked(appointment)
    update(conn, "appointments", appointment, call_id=None)
    assert _link(conn, call_id) == unlinked("no_appointment")
