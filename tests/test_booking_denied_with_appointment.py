"""Detection rule booking_denied_with_appointment: a call that has an appointment but whose
appointment_made is false and whose outcome denies the booking (the state correct mode used to
leave behind after `SET session_outcome = 'no_appointment'` on a booked call) is reported by
`dbguard check` and repaired by `dbguard reconcile`."""

from __future__ import annotations

import dbguard

from .plugins.calls import call, new_appointment, new_call, update

RULE = "booking_denied_with_appointment"


def _denied_booking(conn, set_mode) -> int:
    set_mode("outcome_flag_sync", "off")     # as an application writes it with the rule off
    call_id = new_call(conn)
    new_appointment(conn, call_id)
    update(conn, "calls", call_id, booking_confirmed=True)
    update(conn, "calls", call_id, session_outcome="no_appointment", appointment_made=False)
    conn.commit()
    set_mode("outcome_flag_sync", "correct")
    return call_id


def test_check_reports_a_linked_call_whose_outcome_and_flag_deny_the_booking(conn, set_mode):
    call_id = _denied_booking(conn, set_mode)
    booked = new_call(conn)
    new_appointment(conn, booked)
    conn.commit()
    result = dbguard.check(conn, rules=[RULE])
    assert [(v["rule"], v["entity_id"]) for v in result.violations] == [(RULE, call_id)]


def test_reconcile_restores_the_booking_the_appointment_proves(conn, set_mode, connect):
    call_id = _denied_booking(conn, set_mode)
    dbguard.reconcile(connect(autocommit=True), rules=[RULE])
    row = call(conn, call_id)
    assert (row["appointment_made"], row["session_outcome"], row["booking_confirmed"]) == \
        (True, "appointment_booked", True)
    assert dbguard.check(conn, rules=[RULE]).violations == []
