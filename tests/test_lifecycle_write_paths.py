"""The six write paths that never filled the lifecycle columns, written as the
legacy applications write them (no lifecycle columns, at most dbguard.actor),
end with every lifecycle column filled; explicit values are never overwritten."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import dbguard

from .plugins.lifecycle import events, insert, row, set_acting, update

T0 = datetime(2031, 3, 10, 9, 0, tzinfo=timezone.utc)


def _created(conn, appointment_id):
    r = row(conn, "appointments", appointment_id)
    return r["created_by"], r["booking_source"], r["source"]


def test_phone_ai_booking_with_only_the_actor_set(conn, make_lead):
    call = insert(conn, "calls", retell_call_id="call_1")["id"]
    set_acting(conn, actor="retell_ai")
    a = insert(conn, "appointments", call_id=call, lead_id=make_lead(), starts_at=T0, ends_at=T0 + timedelta(minutes=30),
               source="retell_webhook")
    conn.commit()
    assert _created(conn, a["id"]) == ("retell_ai", "retell_webhook", "retell_webhook")
    assert [e["actor"] for e in events(conn, a["id"])] == ["retell_ai"]


@pytest.mark.commits
def test_function_call_booking_tagged_with_actor_and_source(conn):
    with dbguard.acting(conn, actor="retell_ai", source="retell_function_call"):
        a = insert(conn, "appointments", starts_at=T0)
    assert _created(conn, a["id"]) == ("retell_ai", "retell_function_call", "retell_function_call")


def test_api_booking_without_any_setting(conn):
    a = insert(conn, "appointments", starts_at=T0, source="api_external")
    assert _created(conn, a["id"]) == ("unknown", "api_external", "api_external")


def test_api_booking_with_nothing_at_all_gets_unknown(conn):
    a = insert(conn, "appointments")
    assert _created(conn, a["id"]) == ("unknown", "unknown", "unknown")


def test_calendar_webhook_upsert(conn):
    set_acting(conn, actor="cal.com_webhook")
    conn.execute("""INSERT INTO public.appointments (calcom_v2_booking_id, starts_at, ends_at, source, provider)
                    VALUES ('cal_1', %s, %s, 'cal.com', 'calcom')
                    ON CONFLICT (calcom_v2_booking_id) DO UPDATE
                       SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at""",
                 (T0, T0 + timedelta(hours=1)))
    a = conn.execute("SELECT id FROM public.appointments WHERE calcom_v2_booking_id = 'cal_1'").fetchone()[0]
    # 'cal.com' is a legacy source: dbguard.source_mappings translates it.
    assert _created(conn, a) == ("cal.com_webhook", "cal.com_direct", "cal.com")


def test_cancellation_with_only_the_actor_set(conn):
    a = insert(conn, "appointments", starts_at=T0)
    conn.commit()
    set_acting(conn, actor="customer_phone", user_id=7, reason="caller cancelled")
    r = update(conn, "appointments", a["id"], status="cancelled")
    assert r["cancelled_at"] is not None
    assert (r["cancelled_by"], r["cancelled_by_user_id"], r["cancellation_reason"]) == \
        ("customer_phone", 7, "caller cancelled")


def test_cancellation_without_any_setting_is_by_system(conn):
    a = insert(conn, "appointments", starts_at=T0)
    r = update(conn, "appointments", a["id"], status="cancelled")
    assert (r["cancelled_by"], r["cancelled_by_user_id"]) == ("system", None)
    assert r["cancelled_at"] is not None


def test_reschedule_with_only_the_actor_set(conn):
    a = insert(conn, "appointments", starts_at=T0, ends_at=T0 + timedelta(minutes=45))
    conn.commit()
    set_acting(conn, actor="staff_user", user_id=3)
    r = update(conn, "appointments", a["id"], starts_at=T0 + timedelta(days=1))
    assert (r["rescheduled_by"], r["rescheduled_by_user_id"]) == ("staff_user", 3)
    assert r["rescheduled_at"] is not None
    assert r["ends_at"] == T0 + timedelta(days=1, minutes=45), "the duration is kept"


def test_reschedule_without_any_setting_is_by_system(conn):
    a = insert(conn, "appointments", starts_at=T0)
    r = update(conn, "appointments", a["id"], starts_at=T0 + timedelta(hours=2))
    assert (r["rescheduled_by"], r["rescheduled_by_user_id"]) == ("system", None)
    assert r["ends_at"] is None


def test_explicit_creation_values_win_over_settings(conn):
    set_acting(conn, actor="retell_ai", source="retell_phone")
    a = insert(conn, "appointments", created_by="admin_user", booking_source="manual_admin", source="backoffice")
    assert _created(conn, a["id"]) == ("admin_user", "manual_admin", "backoffice")


def test_explicit_cancellation_values_win_over_settings(conn):
    a = insert(conn, "appointments", starts_at=T0)
    at = datetime(2031, 1, 1, tzinfo=timezone.utc)
    set_acting(conn, actor="retell_ai", user_id=1, reason="from setting")
    r = update(conn, "appointments", a["id"], status="cancelled", cancelled_at=at, cancelled_by="staff_user",
               cancelled_by_user_id=99, cancellation_reason="explicit")
    assert (r["cancelled_at"], r["cancelled_by"], r["cancelled_by_user_id"], r["cancellation_reason"]) == \
        (at, "staff_user", 99, "explicit")


def test_explicit_cancelled_insert_keeps_its_values(conn):
    at = datetime(2031, 1, 1, tzinfo=timezone.utc)
    set_acting(conn, actor="retell_ai")
    r = insert(conn, "appointments", status="cancelled", cancelled_at=at, cancelled_by="admin_user",
               cancelled_by_user_id=5)
    assert (r["cancelled_at"], r["cancelled_by"], r["cancelled_by_user_id"]) == (at, "admin_user", 5)


def test_explicit_reschedule_values_win_over_settings(conn):
    a = insert(conn, "appointments", starts_at=T0, ends_at=T0 + timedelta(minutes=30))
    at = datetime(2031, 1, 2, tzinfo=timezone.utc)
    set_acting(conn, actor="retell_ai", user_id=1)
    r = update(conn, "appointments", a["id"], starts_at=T0 + timedelta(days=2), ends_at=T0 + timedelta(days=2, hours=2),
               rescheduled_at=at, rescheduled_by="admin_user", rescheduled_by_user_id=42)
    assert (r["rescheduled_at"], r["rescheduled_by"], r["rescheduled_by_user_id"]) == (at, "admin_user", 42)
    assert r["ends_at"] == T0 + timedelta(days=2, hours=2), "an explicit end is kept"


def test_status_changed_at_follows_status(conn):
    a = insert(conn, "appointments", starts_at=T0)
    assert a["status"] == "scheduled" and a["status_changed_at"] is not None
    conn.commit()
    r = update(conn, "appointments", a["id"], status="confirmed")
    assert r["status_changed_at"] > a["status_changed_at"]
    same = update(conn, "appointments", a["id"], notes="hello")
    assert same["status_changed_at"] == r["status_changed_at"]
