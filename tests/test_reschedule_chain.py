"""Rule reschedule_chain: a successor retires its predecessor; chains stay within
one lead or customer and never loop."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

import dbguard
from dbguard.errors import RescheduleChainViolation

from .plugins.lifecycle import alerts, insert, row, set_acting, update

T0 = datetime(2031, 5, 1, 10, 0, tzinfo=timezone.utc)


def _chain(conn, make_lead):
    lead = make_lead()
    first = insert(conn, "appointments", lead_id=lead, starts_at=T0)["id"]
    second = insert(conn, "appointments", lead_id=lead, starts_at=T0 + timedelta(days=1), rescheduled_from_id=first)["id"]
    third = insert(conn, "appointments", starts_at=T0 + timedelta(days=2), rescheduled_from_id=second)["id"]
    return lead, [first, second, third]


def test_chain_of_three_reads_back_in_order(conn, make_lead):
    set_acting(conn, actor="customer_phone")
    lead, ids = _chain(conn, make_lead)
    conn.commit()

    walked = conn.execute("""
        WITH RECURSIVE chain AS (
            SELECT id, rescheduled_from_id, 1 AS depth FROM public.appointments WHERE id = %s
            UNION ALL
            SELECT a.id, a.rescheduled_from_id, c.depth + 1
              FROM public.appointments a JOIN chain c ON a.id = c.rescheduled_from_id)
        SELECT id FROM chain ORDER BY depth DESC""", (ids[2],)).fetchall()
    assert [r[0] for r in walked] == ids

    history = conn.execute("""SELECT appointment_id, event, old_status, new_status, old_starts_at, new_starts_at, actor
                                FROM public.appointment_events WHERE lead_id = %s ORDER BY id""", (lead,)).fetchall()
    assert history == [
        (ids[0], "created", None, "scheduled", None, T0, "customer_phone"),
        (ids[0], "status_changed", "scheduled", "rescheduled", T0, T0, "customer_phone"),
        (ids[1], "created", None, "scheduled", T0, T0 + timedelta(days=1), "customer_phone"),
        (ids[1], "status_changed", "scheduled", "rescheduled", T0 + timedelta(days=1), T0 + timedelta(days=1), "customer_phone"),
        (ids[2], "created", None, "scheduled", T0 + timedelta(days=1), T0 + timedelta(days=2), "customer_phone"),
    ]
    created = conn.execute("""SELECT details->>'rescheduled_from_id' FROM public.appointment_events
                               WHERE lead_id = %s AND event = 'created' ORDER BY id""", (lead,)).fetchall()
    assert [r[0] for r in created] == [None, str(ids[0]), str(ids[1])]


def test_predecessor_becomes_rescheduled_and_successor_inherits_the_lead(conn, make_lead):
    set_acting(conn, actor="retell_ai", user_id=12)
    lead, ids = _chain(conn, make_lead)
    first, third = row(conn, "appointments", ids[0]), row(conn, "appointments", ids[2])
    assert (first["status"], first["rescheduled_by"], first["rescheduled_by_user_id"]) == ("rescheduled", "retell_ai", 12)
    assert first["rescheduled_at"] is not None
    assert third["lead_id"] == lead and third["status"] == "scheduled"


def test_cancelled_predecessor_stays_cancelled(conn, make_lead):
    lead = make_lead()
    old = insert(conn, "appointments", lead_id=lead, status="cancelled")["id"]
    insert(conn, "appointments", lead_id=lead, rescheduled_from_id=old)
    assert row(conn, "appointments", old)["status"] == "cancelled"


def test_cycle_is_refused_in_enforce_mode(conn, make_lead):
    dbguard.set_mode(conn, "reschedule_chain", "enforce")
    _, ids = _chain(conn, make_lead)
    with pytest.raises(RescheduleChainViolation) as err:
        update(conn, "appointments", ids[0], rescheduled_from_id=ids[2])
    assert "cycle" in err.value.diag.message_primary
    assert err.value.diag.sqlstate == "23Q05"


def test_cycle_is_dropped_and_alerted_in_correct_mode(conn, make_lead):
    _, ids = _chain(conn, make_lead)
    r = update(conn, "appointments", ids[0], rescheduled_from_id=ids[2])
    assert r["rescheduled_from_id"] is None
    [alert] = alerts(conn, "reschedule_chain")
    assert alert["auto_corrected"] is True and "cycle" in alert["description"]


def test_cycle_is_kept_and_alerted_in_alert_mode(conn, make_lead):
    dbguard.set_mode(conn, "reschedule_chain", "alert")
    _, ids = _chain(conn, make_lead)
    assert update(conn, "appointments", ids[0], rescheduled_from_id=ids[2])["rescheduled_from_id"] == ids[2]
    assert [a["auto_corrected"] for a in alerts(conn, "reschedule_chain")] == [False]


def test_self_reference_is_refused_in_enforce_mode(conn):
    dbguard.set_mode(conn, "reschedule_chain", "enforce")
    a = insert(conn, "appointments")["id"]
    with pytest.raises(RescheduleChainViolation, match="points to itself"):
        update(conn, "appointments", a, rescheduled_from_id=a)


def test_self_reference_is_dropped_in_correct_mode(conn):
    a = insert(conn, "appointments")["id"]
    assert update(conn, "appointments", a, rescheduled_from_id=a)["rescheduled_from_id"] is None


def test_self_reference_fails_the_check_constraint_in_alert_mode(conn):
    dbguard.set_mode(conn, "reschedule_chain", "alert")
    a = insert(conn, "appointments")["id"]
    with pytest.raises(psycopg.errors.CheckViolation):
        update(conn, "appointments", a, rescheduled_from_id=a)


def test_other_lead_is_refused_in_enforce_mode(conn, make_lead):
    dbguard.set_mode(conn, "reschedule_chain", "enforce")
    old = insert(conn, "appointments", lead_id=make_lead())["id"]
    with pytest.raises(RescheduleChainViolation, match="another lead/customer"):
        insert(conn, "appointments", lead_id=make_lead(), rescheduled_from_id=old)


def test_same_customer_on_another_lead_is_allowed(conn, make_lead, company):
    customer = insert(conn, "customers", company_id=company, name="Ann")["id"]
    old = insert(conn, "appointments", lead_id=make_lead(), customer_id=customer)["id"]
    new = insert(conn, "appointments", lead_id=make_lead(), customer_id=customer, rescheduled_from_id=old)
    assert new["rescheduled_from_id"] == old
    assert row(conn, "appointments", old)["status"] == "rescheduled"


def test_other_lead_link_is_dropped_in_correct_mode_and_predecessor_untouched(conn, make_lead):
    old = insert(conn, "appointments", lead_id=make_lead())["id"]
    new = insert(conn, "appointments", lead_id=make_lead(), rescheduled_from_id=old)
    assert new["rescheduled_from_id"] is None
    assert row(conn, "appointments", old)["status"] == "scheduled"


def test_mode_off_links_without_checks_or_side_effects(conn, make_lead):
    dbguard.set_mode(conn, "reschedule_chain", "off")
    old = insert(conn, "appointments", lead_id=make_lead())["id"]
    new = insert(conn, "appointments", lead_id=make_lead(), rescheduled_from_id=old)
    assert new["rescheduled_from_id"] == old
    assert row(conn, "appointments", old)["status"] == "scheduled"


def test_two_links_written_at_once_cannot_close_a_cycle(conn, connect, make_lead):
    dbguard.set_mode(conn, "reschedule_chain", "enforce")
    lead = make_lead()
    a = insert(conn, "appointments", lead_id=lead, status="completed")["id"]
    b = insert(conn, "appointments", lead_id=lead, status="completed")["id"]
    conn.commit()
    t1, t2 = connect(), connect()
    update(t1, "appointments", a, rescheduled_from_id=b)
    outcome: list = []

    def second():
        try:
            update(t2, "appointments", b, rescheduled_from_id=a)
            outcome.append("linked")
        except RescheduleChainViolation as exc:
            outcome.append(exc)
        t2.rollback()

    thread = threading.Thread(target=second)
    thread.start()
    watcher = connect(autocommit=True)
    pid = t2.info.backend_pid
    while thread.is_alive() and not watcher.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]:
        watcher.execute("SELECT pg_sleep(0.01)")
    t1.commit()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], RescheduleChainViolation), outcome
    assert "cycle" in outcome[0].diag.message_primary
