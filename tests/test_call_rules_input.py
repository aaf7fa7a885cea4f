"""Bad input and NULLs against all call <-> appointment rules at once, in every mode."""

from __future__ import annotations

import pytest
from psycopg import sql

import dbguard
from dbguard.errors import VocabularyViolation

from .plugins.calls import MODES, call, new_appointment, new_call, update

RULES = ("call_direction_default", "customer_link_sync", "outcome_flag_sync", "appointment_link_sync",
         "booking_confirmed_requires_appointment")


@pytest.fixture
def all_rules(conn):
    def _all(mode):
        dbguard.set_modes(conn, dict.fromkeys(RULES, mode))
        conn.commit()
    return _all


def _nullable_columns(conn, table):
    return [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "AND is_nullable = 'YES' ORDER BY ordinal_position", (table,))]


@pytest.mark.parametrize("mode", MODES)
def test_nulls_in_every_nullable_column_break_no_rule(conn, all_rules, mode):
    all_rules(mode)
    call_cols = {c: None for c in _nullable_columns(conn, "calls")}
    call_id = new_call(conn, **call_cols)
    update(conn, "calls", call_id, **call_cols)
    other_call = new_call(conn)

    appointment_cols = {c: None for c in _nullable_columns(conn, "appointments")}
    appointment = new_appointment(conn, **appointment_cols)
    update(conn, "appointments", appointment, call_id=call_id)
    update(conn, "appointments", appointment, call_id=other_call)
    update(conn, "appointments", appointment, **appointment_cols)
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (appointment,))
    conn.commit()
    assert call(conn, call_id)["appointment_made"] is False


@pytest.mark.parametrize("mode", MODES)
def test_deleting_a_call_with_appointments_works_in_every_mode(conn, all_rules, mode):
    all_rules(mode)
    call_id = new_call(conn, booking_confirmed=True, appointment_made=True, session_outcome="appointment_booked")
    appointment = new_appointment(conn, call_id)
    conn.commit()
    conn.execute("DELETE FROM public.calls WHERE id = %s", (call_id,))
    conn.commit()
    assert conn.execute("SELECT call_id FROM public.appointments WHERE id = %s", (appointment,)).fetchone() == (None,)


@pytest.mark.parametrize("column, vocabulary, allowed", [
    ("direction", "call_direction", "inbound, outbound"),
    ("appointment_link_status", "link_status", "creation_failed, linked, unlinked"),
    ("customer_link_status", "link_status", "creation_failed, linked, unlinked"),
    ("customer_link_method", "customer_link_method", "created, email_match, manual, name_match, phone_match"),
    ("session_outcome", "session_outcome", "abandoned, appointment_booked, appointment_cancelled"),
])
@pytest.mark.parametrize("on", ["insert", "update"])
def test_unknown_values_get_an_error_naming_the_column_and_the_allowed_values(conn, all_rules, column, vocabulary,
                                                                             allowed, on):
    all_rules("enforce")
    call_id = new_call(conn) if on == "update" else None
    with pytest.raises(VocabularyViolation) as err:
        if on == "insert":
            new_call(conn, **{column: "no-such-value"})
        else:
            update(conn, "calls", call_id, **{column: "no-such-value"})
    diag = err.value.diag
    assert diag.message_primary == (f"dbguard: public.calls.{column} = 'no-such-value' is not an allowed {vocabulary}")
    assert diag.column_name == column and allowed in diag.message_detail
    assert sql.quote(vocabulary) in diag.message_hint
