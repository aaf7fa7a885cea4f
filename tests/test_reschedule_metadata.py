"""Rule reschedule_metadata: moving an appointment records who moved it and keeps its duration."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import dbguard
from dbguard.errors import VocabularyViolation

from .plugins.lifecycle import alerts, events, insert, set_acting, update

T0 = datetime(2031, 4, 1, 8, 0, tzinfo=timezone.utc)


def test_second_reschedule_records_the_second_actor(conn):
    a = insert(conn, "appointments", starts_at=T0)["id"]
    conn.commit()
    set_acting(conn, actor="customer_phone", user_id=3)
    update(conn, "appointments", a, starts_at=T0 + timedelta(hours=1))
    conn.commit()
    r = update(conn, "appointments", a, starts_at=T0 + timedelta(hours=2))
    assert (r["rescheduled_by"], r["rescheduled_by_user_id"]) == ("system", None)
    assert [e["event"] for e in events(conn, a)] == ["created", "rescheduled", "rescheduled"]


def test_setting_the_first_start_is_not_a_reschedule(conn):
    a = insert(conn, "appointments")["id"]
    r = update(conn, "appointments", a, starts_at=T0)
    assert (r["rescheduled_at"], r["rescheduled_by"]) == (None, None)


def test_explicit_end_on_its_own_is_kept(conn):
    a = insert(conn, "appointments", starts_at=T0, ends_at=T0 + timedelta(hours=1))["id"]
    r = update(conn, "appointments", a, ends_at=T0 + timedelta(hours=3))
    assert r["ends_at"] == T0 + timedelta(hours=3) and r["rescheduled_at"] is None


@pytest.mark.parametrize("mode, actor, expected, alerted", [("alert", "martian", "martian", [False]),
                                                            ("correct", "Staff_User", "staff_user", [True])])
def test_unknown_rescheduled_by_kept_in_alert_and_a_case_variant_corrected(conn, mode, actor, expected, alerted):
    dbguard.set_mode(conn, "reschedule_metadata", mode)
    a = insert(conn, "appointments", starts_at=T0)["id"]
    set_acting(conn, actor=actor)
    assert update(conn, "appointments", a, starts_at=T0 + timedelta(days=1))["rescheduled_by"] == expected
    assert [x["auto_corrected"] for x in alerts(conn, "reschedule_metadata")] == alerted


def test_unknown_rescheduled_by_is_refused_in_correct_mode(conn):
    a = insert(conn, "appointments", starts_at=T0)["id"]
    set_acting(conn, actor="martian")
    with pytest.raises(VocabularyViolation, match="rescheduled_by"):
        update(conn, "appointments", a, starts_at=T0 + timedelta(days=1))


def test_unknown_rescheduled_by_is_refused_in_enforce_mode(conn):
    dbguard.set_mode(conn, "reschedule_metadata", "enforce")
    a = insert(conn, "appointments", starts_at=T0)["id"]
    with pytest.raises(VocabularyViolation, match="rescheduled_by"):
        update(conn, "appointments", a, starts_at=T0 + timedelta(days=1), rescheduled_by="martian")


def test_off_mode_records_nothing_but_history_still_sees_the_move(conn):
    dbguard.set_mode(conn, "reschedule_metadata", "off")
    a = insert(conn, "appointments", starts_at=T0, ends_at=T0 + timedelta(hours=1))["id"]
    r = update(conn, "appointments", a, starts_at=T0 + timedelta(minutes=10))
    assert (r["rescheduled_at"], r["rescheduled_by"], r["ends_at"]) == (None, None, T0 + timedelta(hours=1))
    assert [e["event"] for e in events(conn, a)] == ["created", "rescheduled"]
