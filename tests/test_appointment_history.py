"""Rule appointment_history: one appointment_events row per lifecycle change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

import dbguard

from .plugins.lifecycle import events, insert, set_acting, update

T0 = datetime(2031, 6, 1, 9, 0, tzinfo=timezone.utc)


def _summary(conn, appointment_id):
    return [(e["event"], e["old_status"], e["new_status"], e["old_starts_at"], e["new_starts_at"], e["actor"],
             e["source"], e["user_id"]) for e in events(conn, appointment_id)]


def test_full_lifecycle_is_recorded_with_actor_source_and_user(conn, make_lead):
    lead, other_lead = make_lead(), make_lead()
    call = insert(conn, "calls")["id"]
    conn.commit()  # each acting() block below is then a transaction of its own
    with dbguard.acting(conn, actor="retell_ai", source="retell_phone", user_id=5):
        a = insert(conn, "appointments", lead_id=lead, call_id=call, starts_at=T0)["id"]
    with dbguard.acting(conn, actor="customer_phone"):
        update(conn, "appointments", a, starts_at=T0 + timedelta(hours=3))
    with dbguard.acting(conn, actor="admin_user", user_id=2, reason="no longer needed"):
        update(conn, "appointments", a, status="cancelled")
    update(conn, "appointments", a, status="confirmed")
    update(conn, "appointments", a, lead_id=other_lead)
    conn.commit()
    with dbguard.acting(conn, actor="system_cron"):
        conn.execute("DELETE FROM public.appointments WHERE id = %s", (a,))

    t1 = T0 + timedelta(hours=3)
    assert _summary(conn, a) == [
        ("created", None, "scheduled", None, T0, "retell_ai", "retell_phone", 5),
        ("rescheduled", "scheduled", "scheduled", T0, t1, "customer_phone", None, None),
        ("cancelled", "scheduled", "cancelled", t1, t1, "admin_user", None, 2),
        ("reactivated", "cancelled", "confirmed", t1, t1, "system", None, None),
        ("lead_changed", "confirmed", "confirmed", t1, t1, "system", None, None),
        ("deleted", "confirmed", None, t1, None, "system_cron", None, None),
    ]
    history = events(conn, a)
    assert [e["lead_id"] for e in history] == [lead] * 4 + [other_lead] * 2
    assert {e["call_id"] for e in history} == {call}
    assert history[2]["details"]["reason"] == "no longer needed"
    assert history[3]["details"]["previous_cancelled_by"] == "admin_user"
    assert history[4]["details"] == {"old_lead_id": lead, "new_lead_id": other_lead}


def test_created_event_falls_back_to_the_row_columns(conn):
    a = insert(conn, "appointments", created_by="staff_user", booking_source="manual_staff")["id"]
    [created] = events(conn, a)
    assert (created["actor"], created["source"]) == ("staff_user", "manual_staff")


def test_update_that_changes_no_lifecycle_column_writes_no_history(conn):
    a = insert(conn, "appointments", starts_at=T0)["id"]
    update(conn, "appointments", a, notes="x", status="scheduled", starts_at=T0)
    assert [e["event"] for e in events(conn, a)] == ["created"]


def test_replayed_webhook_upsert_neither_duplicates_rows_nor_history(conn):
    upsert = """INSERT INTO public.appointments (calcom_v2_booking_id, starts_at, ends_at, status, provider, source, metadata)
                VALUES (%s, %s, %s, %s, 'calcom', 'cal.com', %s)
                ON CONFLICT (calcom_v2_booking_id) DO UPDATE
                   SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, status = EXCLUDED.status,
                       metadata = EXCLUDED.metadata, updated_at = now()
                RETURNING id"""
    payload = '{"attendee": {"email": "ann@example.com", "phone": "+49 151 1234567"}, "uid": "bk_1"}'
    args = ("cal_77", T0, T0 + timedelta(minutes=30), "confirmed", payload)
    conn.commit()
    for _ in range(3):
        with dbguard.acting(conn, actor="cal.com_webhook"):
            a = conn.execute(upsert, args).fetchone()[0]
    assert conn.execute("SELECT count(*) FROM public.appointments WHERE calcom_v2_booking_id = 'cal_77'").fetchone()[0] == 1
    assert [e["event"] for e in events(conn, a)] == ["created"]

    with dbguard.acting(conn, actor="cal.com_webhook"):
        conn.execute(upsert, ("cal_77", T0 + timedelta(days=1), T0 + timedelta(days=1, minutes=30), "confirmed", payload))
        conn.execute(upsert, ("cal_77", T0 + timedelta(days=1), T0 + timedelta(days=1, minutes=30), "confirmed", payload))
    assert [e["event"] for e in events(conn, a)] == ["created", "rescheduled"]


@pytest.mark.parametrize("key", ["ghl_appointment_id", "calendly_invitee_uri"])
def test_other_provider_keys_are_idempotent_too(conn, key):
    upsert = f"""INSERT INTO public.appointments ({key}, starts_at) VALUES ('k1', %s)
                 ON CONFLICT ({key}) DO UPDATE SET starts_at = EXCLUDED.starts_at RETURNING id"""
    ids = {conn.execute(upsert, (T0,)).fetchone()[0] for _ in range(2)}
    assert len(ids) == 1
    assert [e["event"] for e in events(conn, ids.pop())] == ["created"]


def test_history_details_are_redacted(conn):
    a = insert(conn, "appointments")["id"]
    conn.commit()
    with dbguard.acting(conn, reason="caller asked, call back on +49 30 1234567"):
        update(conn, "appointments", a, status="cancelled", cancellation_reason="mail me at x@example.org")
    cancelled = events(conn, a)[-1]
    assert cancelled["details"]["reason"] == "caller asked, call back on [phone]"
    assert cancelled["details"]["cancellation_reason"] == "mail me at [email]"


def test_application_role_cannot_write_history_but_its_changes_are_recorded(conn, make_role, make_lead):
    app = make_role("app")
    dbguard.roles(conn, app=app)
    lead = make_lead()
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app)))
    conn.execute("SET LOCAL dbguard.source = 'cal.com'")
    a = insert(conn, "appointments", starts_at=T0, lead_id=lead, metadata=Jsonb({"email": "a@b.de"}))["id"]
    b = insert(conn, "appointments", starts_at=T0 + timedelta(days=1), lead_id=lead, rescheduled_from_id=a)["id"]
    update(conn, "appointments", b, status="cancelled")
    assert [e["event"] for e in events(conn, a)] == ["created", "status_changed"]
    assert [e["event"] for e in events(conn, b)] == ["created", "cancelled"]
    conn.execute("SET CONSTRAINTS dbguard_701_lead_rollup_at_commit IMMEDIATE")   # the rollup runs at commit
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == b
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO public.appointment_events (appointment_id, event) VALUES (%s, 'forged')", (a,))
    conn.rollback()


def test_mode_off_records_nothing(conn):
    dbguard.set_mode(conn, "appointment_history", "off")
    conn.execute("SET LOCAL dbguard.user_id = 'not a number'")  # not read at all when off
    a = insert(conn, "appointments")["id"]
    conn.execute("RESET dbguard.user_id")
    update(conn, "appointments", a, status="cancelled")
    assert events(conn, a) == []


def test_events_carry_the_time_the_row_gives_for_the_change_bounded_by_now(conn):
    """A sync that writes an old cancellation, status change or move records it at the row's own
    cancelled_at / status_changed_at / rescheduled_at; a time in the future becomes now(); a change
    that gives no time of its own happens now()."""
    now = conn.execute("SELECT now()").fetchone()[0]
    old, future = datetime(2024, 2, 1, 12, 0, tzinfo=timezone.utc), datetime(2099, 1, 1, tzinfo=timezone.utc)
    a = insert(conn, "appointments", starts_at=T0, status="scheduled", created_at=old - timedelta(days=9))["id"]
    update(conn, "appointments", a, status="confirmed", status_changed_at=old - timedelta(days=5))
    update(conn, "appointments", a, starts_at=T0 + timedelta(hours=1), rescheduled_at=old - timedelta(days=3))
    update(conn, "appointments", a, status="cancelled", cancelled_at=old)
    update(conn, "appointments", a, status="scheduled", status_changed_at=future)
    update(conn, "appointments", a, starts_at=T0 + timedelta(hours=2))
    b = insert(conn, "appointments", starts_at=T0, created_at=future, status="cancelled", cancelled_at=future)["id"]

    assert [(e["event"], e["occurred_at"]) for e in events(conn, a)] == [
        ("created", old - timedelta(days=9)), ("status_changed", old - timedelta(days=5)),
        ("rescheduled", old - timedelta(days=3)), ("cancelled", old), ("reactivated", now), ("rescheduled", now)]
    assert [(e["event"], e["occurred_at"]) for e in events(conn, b)] == [("created", now), ("cancelled", now)]
    # The times are the application's claim; when the history was written is kept next to them.
    recorded = [(e["event"], e["details"].get("recorded_at") and datetime.fromisoformat(e["details"]["recorded_at"]))
                for e in events(conn, a) + events(conn, b)]
    assert recorded == [("created", now), ("status_changed", now), ("rescheduled", now), ("cancelled", now),
                        ("reactivated", None), ("rescheduled", None), ("created", None), ("cancelled", None)]
