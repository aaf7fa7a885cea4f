"""Rule cancellation_metadata: status 'cancelled' if and only if cancelled_at is set."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import dbguard
from dbguard.errors import LifecycleViolation, VocabularyViolation

from .plugins.lifecycle import alerts, insert, set_acting, update

AT = datetime(2031, 1, 1, tzinfo=timezone.utc)


def test_reactivation_clears_the_cancellation_silently(conn):
    a = insert(conn, "appointments", status="cancelled", cancellation_reason="ill")
    assert a["cancelled_at"] is not None and a["cancelled_by"] == "system"
    r = update(conn, "appointments", a["id"], status="scheduled")
    assert (r["cancelled_at"], r["cancelled_by"], r["cancelled_by_user_id"], r["cancellation_reason"]) == \
        (None, None, None, None)
    assert alerts(conn, "cancellation_metadata") == []


def test_setting_only_cancelled_at_cancels_and_is_alerted(conn):
    a = insert(conn, "appointments")
    set_acting(conn, actor="staff_user")
    r = update(conn, "appointments", a["id"], cancelled_at=AT)
    assert (r["status"], r["cancelled_at"], r["cancelled_by"]) == ("cancelled", AT, "staff_user")
    [alert] = alerts(conn, "cancellation_metadata")
    assert alert["alert_type"] == "cancelled_at_without_cancelled_status" and alert["auto_corrected"] is True


def test_setting_only_cancelled_at_in_alert_mode_keeps_the_row(conn):
    dbguard.set_mode(conn, "cancellation_metadata", "alert")
    a = insert(conn, "appointments")
    r = update(conn, "appointments", a["id"], cancelled_at=AT)
    assert (r["status"], r["cancelled_at"]) == ("scheduled", AT)
    assert [x["auto_corrected"] for x in alerts(conn, "cancellation_metadata")] == [False]


def test_contradiction_is_refused_in_enforce_mode(conn):
    dbguard.set_mode(conn, "cancellation_metadata", "enforce")
    a = insert(conn, "appointments")
    with pytest.raises(LifecycleViolation) as err:
        update(conn, "appointments", a["id"], cancelled_at=AT)
    diag = err.value.diag
    assert diag.sqlstate == "23Q07"
    assert f"row {a['id']}" in diag.message_primary and "cancelled_at" in diag.message_primary
    assert "status = 'cancelled'" in diag.message_hint


def test_clearing_cancelled_at_of_a_cancelled_row_is_restored(conn):
    a = insert(conn, "appointments", status="cancelled", cancelled_at=AT)
    r = update(conn, "appointments", a["id"], cancelled_at=None)
    assert (r["status"], r["cancelled_at"]) == ("cancelled", AT)
    assert alerts(conn, "cancellation_metadata")[0]["alert_type"] == "cancelled_without_cancelled_at"


def test_legacy_row_with_stale_cancelled_at_is_repaired_on_its_next_update(conn):
    conn.execute("ALTER TABLE public.appointments DISABLE TRIGGER USER")
    a = insert(conn, "appointments", status="completed", cancelled_at=AT, cancelled_by="unknown")
    conn.execute("ALTER TABLE public.appointments ENABLE TRIGGER USER")
    r = update(conn, "appointments", a["id"], notes="touched")
    assert (r["status"], r["cancelled_at"], r["cancelled_by"]) == ("completed", None, None)
    assert alerts(conn, "cancellation_metadata")[0]["auto_corrected"] is True


def test_editing_a_cancelled_row_does_not_rewrite_who_cancelled(conn):
    set_acting(conn, actor="customer_web", user_id=4)
    a = insert(conn, "appointments", status="cancelled")
    conn.commit()
    set_acting(conn, actor="admin_user", user_id=1)
    r = update(conn, "appointments", a["id"], notes="later edit", cancellation_reason="typo fixed")
    assert (r["cancelled_by"], r["cancelled_by_user_id"], r["cancelled_at"]) == \
        ("customer_web", 4, a["cancelled_at"])


@pytest.mark.parametrize("mode, written, expected", [("alert", "martian", "martian"),
                                                     ("correct", " Customer_Web", "customer_web")])
def test_unknown_cancelled_by_is_kept_and_alerted_or_a_case_variant_corrected(conn, mode, written, expected):
    dbguard.set_mode(conn, "cancellation_metadata", mode)
    a = insert(conn, "appointments")
    r = update(conn, "appointments", a["id"], status="cancelled", cancelled_by=written)
    assert r["cancelled_by"] == expected
    [alert] = alerts(conn, "cancellation_metadata")
    assert alert["alert_type"] == "vocabulary_violation" and alert["details"]["value"] == written
    assert alert["auto_corrected"] is (mode == "correct")


def test_unknown_cancelled_by_is_refused_in_correct_mode_not_replaced(conn):
    a = insert(conn, "appointments")
    with pytest.raises(VocabularyViolation, match="cancelled_by"):
        update(conn, "appointments", a["id"], status="cancelled", cancelled_by="martian")


def test_unknown_actor_setting_is_refused_in_enforce_mode(conn):
    dbguard.set_mode(conn, "cancellation_metadata", "enforce")
    a = insert(conn, "appointments")
    set_acting(conn, actor="martian")
    with pytest.raises(VocabularyViolation) as err:
        update(conn, "appointments", a["id"], status="cancelled")
    assert "public.appointments.cancelled_by" in err.value.diag.message_primary
    assert "customer_phone" in err.value.diag.message_detail


def test_mode_off_changes_nothing(conn):
    dbguard.set_mode(conn, "cancellation_metadata", "off")
    a = insert(conn, "appointments")
    r = update(conn, "appointments", a["id"], status="cancelled")
    assert (r["cancelled_at"], r["cancelled_by"]) == (None, None)


@pytest.mark.parametrize("given", ["status_changed_at", "updated_at"])
def test_a_cancelled_import_keeps_its_own_cancelled_at(conn, given):
    when = datetime(2023, 5, 17, 9, 30, tzinfo=timezone.utc)
    a = insert(conn, "appointments", status="cancelled", **{given: when})
    assert a["cancelled_at"] == when


def test_a_cancelled_import_with_no_time_of_its_own_is_cancelled_now(conn):
    a = insert(conn, "appointments", status="cancelled")
    now = conn.execute("SELECT now()").fetchone()[0]
    assert a["cancelled_at"] == now


def test_an_update_that_cancels_with_its_status_time_keeps_that_time(conn):
    when = datetime(2024, 1, 2, 3, 4, tzinfo=timezone.utc)
    a = insert(conn, "appointments")
    assert update(conn, "appointments", a["id"], status="cancelled", status_changed_at=when)["cancelled_at"] == when
