"""A booking runs fewer rule functions and statements, and every rule
still holds. Function calls are counted with pg_stat_get_xact_function_calls (track_functions);
SET CONSTRAINTS ALL IMMEDIATE fires the commit-time checks inside the test's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from psycopg.types.json import Jsonb

from dbguard.errors import BookingWithoutAppointment, VocabularyViolation

from .plugins.calls import book, call, new_appointment, new_call, update

CHECK = "tg_calls__booking_requires_appointment"


def test_the_link_sync_marker_lasts_only_for_its_own_write(conn):
    book(conn)
    assert conn.execute("SELECT current_setting('dbguard.linking_call', true)").fetchone()[0] == ""


def test_a_linked_call_whose_appointment_is_deleted_is_still_rolled_back(conn, counted):
    # The link sync's write queued one check (the claim it makes), the delete one more from the
    # appointments side.
    call_id = new_call(conn, direction="inbound")
    appointment = new_appointment(conn, call_id, status="scheduled")
    conn.execute("DELETE FROM public.appointment_events WHERE appointment_id = %s", (appointment,))
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (appointment,))
    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    stored = call(conn, call_id)
    assert (stored["appointment_made"], stored["appointment_link_status"]) == (False, "unlinked")
    assert counted(CHECK) == 2


def test_an_appointment_moved_away_after_linking_fails_the_commit_in_enforce_mode(conn, set_mode):
    set_mode("booking_confirmed_requires_appointment", "enforce")
    call_id = new_call(conn, direction="inbound")
    other = new_call(conn, direction="inbound")
    appointment = new_appointment(conn, call_id, status="scheduled")
    update(conn, "calls", call_id, booking_confirmed=True)
    update(conn, "appointments", appointment, call_id=other)
    with pytest.raises(BookingWithoutAppointment):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_write_to_another_call_during_linking_is_still_checked(conn, set_mode):
    # The marker names one call: a confirmed call without appointment is caught whatever else links.
    set_mode("booking_confirmed_requires_appointment", "enforce")
    book(conn)
    lonely = new_call(conn, direction="inbound")
    update(conn, "calls", lonely, booking_confirmed=True)
    with pytest.raises(BookingWithoutAppointment):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_plain_new_appointment_runs_no_cancellation_code(conn):
    # The compiled block's fast path (its "insert when") keeps a plain appointment out of it.
    fast_path = conn.execute("SELECT insert_when FROM dbguard.rule_fragments "
                             "WHERE rule = 'cancellation_metadata' AND mode = 'correct'").fetchone()[0]
    appointment = new_appointment(conn, None, status="scheduled")
    assert conn.execute(f"SELECT {fast_path.replace('NEW.', 'n.')} FROM public.appointments n WHERE n.id = %s",
                        (appointment,)).fetchone()[0] is False
    now, changed = conn.execute("SELECT now(), status_changed_at FROM public.appointments WHERE id = %s",
                                (appointment,)).fetchone()
    assert changed == now


@pytest.mark.parametrize("cols", [
    {"status": "cancelled"},
    {"status": "scheduled", "cancelled_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)},
    {"status": "scheduled", "cancelled_by": "admin_user"},
    {"status": "scheduled", "status_changed_at": None},
])
def test_a_new_appointment_the_cancellation_rule_must_look_at_still_enters_it(conn, cols):
    fast_path = conn.execute("SELECT insert_when FROM dbguard.rule_fragments "
                             "WHERE rule = 'cancellation_metadata' AND mode = 'correct'").fetchone()[0]
    values = {"status": None, "cancelled_at": None, "cancelled_by": None, "status_changed_at": dt.datetime.now(dt.timezone.utc)} | cols
    assert conn.execute(f"SELECT {fast_path.replace('NEW.', 'n.')} FROM (SELECT %s::text AS status, "
                        "%s::timestamptz AS cancelled_at, %s::text AS cancelled_by, %s::timestamptz AS status_changed_at) n",
                        (values["status"], values["cancelled_at"], values["cancelled_by"], values["status_changed_at"])
                        ).fetchone()[0] is True


def test_a_new_cancelled_appointment_still_gets_its_cancellation_metadata(conn):
    conn.execute("SELECT set_config('dbguard.actor', 'admin_user', true)")
    appointment = new_appointment(conn, None, status="cancelled")
    now, cancelled_at, cancelled_by = conn.execute(
        "SELECT now(), cancelled_at, cancelled_by FROM public.appointments WHERE id = %s", (appointment,)).fetchone()
    assert (cancelled_at, cancelled_by) == (now, "admin_user")


@pytest.mark.parametrize("metadata", [
    {"email": "ann@example.com"},
    {"Phone": "n/a"},
    {"note": "call 030 123456"},
])
def test_json_that_may_hold_pii_still_fires_the_redaction(conn, counted, metadata):
    new_appointment(conn, None, metadata=Jsonb(metadata))
    # The appointment's payload reaches the walk; the history row stops at the first test.
    assert counted("redact_pii") >= 1


def test_an_unknown_actor_is_still_refused_when_the_booking_source_is_known(conn, set_mode):
    set_mode("creation_metadata", "enforce")
    conn.execute("SELECT set_config('dbguard.actor', 'martian', true)")
    with pytest.raises(VocabularyViolation) as caught:
        new_appointment(conn, None, status="scheduled", source="retell_webhook")
    assert "martian" in str(caught.value)


def test_setting_the_linking_marker_by_hand_does_not_skip_the_check_of_a_call_without_appointment(conn, set_mode):
    set_mode("booking_confirmed_requires_appointment", "enforce")
    lonely = new_call(conn, direction="inbound")
    conn.execute("SELECT set_config('dbguard.linking_call', %s, true)", (str(lonely),))
    update(conn, "calls", lonely, booking_confirmed=True)
    with pytest.raises(BookingWithoutAppointment):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
