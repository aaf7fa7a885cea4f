"""booking_confirmed_requires_appointment checks the fact (an appointment exists for the call),
never the internal marker dbguard.linking_call, which any session can set. Run as a real
non-superuser login role granted the application role."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard
from dbguard.errors import BookingWithoutAppointment

from .plugins.calls import new_appointment, new_call


@pytest.fixture
def app_session(conn, dsn, make_role, connect):
    """A connection of a LOGIN role that is a member of the role `dbguard roles --app-role` sets up."""
    app, login = make_role("app"), make_role("login")
    dbguard.roles(conn, app=app)
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(login)))
    conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(app), sql.Identifier(login)))
    conn.commit()
    params = conninfo_to_dict(dsn) | {"user": login}
    session = connect(make_conninfo(**params))
    assert not session.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
    return session


def _forge(session, call_id, appointment_id):
    session.execute("SELECT set_config('dbguard.linking_call', %s, true)", (str(call_id),))
    session.execute("UPDATE public.calls SET booking_confirmed = true, appointment_made = true, appointment_id = %s "
                    "WHERE id = %s", (appointment_id, call_id))


@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_the_linking_marker_with_an_appointment_id_that_does_not_exist_keeps_no_claim(conn, set_mode, app_session, mode):
    set_mode("booking_confirmed_requires_appointment", mode)
    call_id = new_call(conn)
    conn.commit()
    _forge(app_session, call_id, 987654321)
    if mode == "enforce":
        with pytest.raises(BookingWithoutAppointment):
            app_session.commit()
    else:
        app_session.commit()
    row = conn.execute("SELECT booking_confirmed, appointment_made, appointment_id FROM public.calls WHERE id = %s",
                       (call_id,)).fetchone()
    assert row == (False, False, None)


def test_the_linking_marker_with_another_calls_appointment_does_not_skip_the_check_in_enforce(
        conn, set_mode, app_session):
    set_mode("booking_confirmed_requires_appointment", "enforce")
    other = new_call(conn)
    appointment = new_appointment(conn, other)
    call_id = new_call(conn)
    conn.commit()
    _forge(app_session, call_id, appointment)
    with pytest.raises(BookingWithoutAppointment):
        app_session.commit()
    row = conn.execute("SELECT booking_confirmed, appointment_made FROM public.calls WHERE id = %s", (call_id,)).fetchone()
    assert row == (False, False)


def test_the_linking_marker_with_another_calls_appointment_is_rolled_back_and_alerted_in_correct(
        conn, set_mode, app_session):
    set_mode("booking_confirmed_requires_appointment", "correct")
    other = new_call(conn)
    appointment = new_appointment(conn, other)
    call_id = new_call(conn)
    conn.commit()
    _forge(app_session, call_id, appointment)
    app_session.commit()
    row = conn.execute("SELECT booking_confirmed, appointment_made, appointment_link_status FROM public.calls "
                       "WHERE id = %s", (call_id,)).fetchone()
    assert row == (False, False, "creation_failed")
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts WHERE entity_id = %s "
                        "AND alert_type = 'confirmed_without_appointment'", (str(call_id),)).fetchone()[0] == 1


def test_a_booking_by_the_application_role_still_commits(conn, set_mode, app_session):
    set_mode("booking_confirmed_requires_appointment", "enforce")
    company = app_session.execute("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    call_id = new_call(app_session, company_id=company)
    new_appointment(app_session, call_id, company_id=company)
    app_session.execute("UPDATE public.calls SET booking_confirmed = true WHERE id = %s", (call_id,))
    app_session.commit()
    row = conn.execute("SELECT booking_confirmed, appointment_made, appointment_link_status FROM public.calls "
                       "WHERE id = %s", (call_id,)).fetchone()
    assert row == (True, True, "linked")


def test_deleting_an_appointment_relinks_or_unlinks_its_call(conn):
    call_id = new_call(conn)
    first = new_appointment(conn, call_id)
    second = new_appointment(conn, call_id)
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (second,))
    assert conn.execute("SELECT appointment_id FROM public.calls WHERE id = %s", (call_id,)).fetchone()[0] == first
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (first,))
    assert conn.execute("SELECT appointment_id, appointment_link_status FROM public.calls WHERE id = %s",
                        (call_id,)).fetchone() == (None, "unlinked")
    conn.commit()
