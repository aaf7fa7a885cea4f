"""Rule lead_rollup: a lead's rollup columns always describe its primary appointment."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dbguard

from .plugins.lifecycle import alerts, insert, update
from .plugins.lifecycle import row as _row


def row(conn: psycopg.Connection, table: str, row_id: int):
    """The row; for a lead, after this transaction's rollup step has run (lead_rollup runs it at
    commit; SET CONSTRAINTS ... IMMEDIATE runs it now and after every later statement)."""
    # (lead_rollup in off has no trigger to set)
    if table == "leads" and conn.execute("SELECT EXISTS (SELECT 1 FROM pg_trigger "
                                         "WHERE tgname = 'dbguard_701_lead_rollup_at_commit')").fetchone()[0]:
        conn.execute("SET CONSTRAINTS dbguard_701_lead_rollup_at_commit IMMEDIATE")
    return _row(conn, table, row_id)

ROLLUP = ("appointment_id", "appointment_start_at", "appointment_end_at", "appointment_status",
          "appointment_canceled_at", "appointment_provider", "appointment_source")
STATUSES = ["scheduled", "confirmed", "cancelled", "completed", "no_show", "rescheduled"]


def expected_rollup(appointments: list[dict], now: datetime, active: set[str]) -> tuple:
    """The rollup computed in Python from a lead's appointments (docs/rules/lead_rollup.md)."""
    def key(a):
        is_active = a["status"] in active
        upcoming = is_active and a["starts_at"] is not None and a["starts_at"] >= now
        bucket = 0 if upcoming else 1 if is_active else 2
        if upcoming:
            return (bucket, a["starts_at"].timestamp(), -a["id"])
        # the latest first, a missing start last
        return (bucket, 0, (0, -a["starts_at"].timestamp()) if a["starts_at"] else (1, 0), -a["id"])

    candidates = [a for a in appointments if a["status"] in active or a["status"] == "cancelled"]
    if not candidates:
        return (None,) * len(ROLLUP)
    p = min(candidates, key=key)
    return (p["id"], p["starts_at"], p["ends_at"], p["status"], p["cancelled_at"], p["provider"], p["booking_source"])


def assert_rollups_match(conn: psycopg.Connection, leads: list[int]) -> None:
    conn.execute("SET CONSTRAINTS dbguard_701_lead_rollup_at_commit IMMEDIATE")
    now = conn.execute("SELECT now()").fetchone()[0]
    active = {r[0] for r in conn.execute(
        "SELECT code FROM dbguard.vocabularies WHERE vocabulary = 'appointment_status' AND is_active")}
    cur = conn.execute("""SELECT id, lead_id, starts_at, ends_at, status, cancelled_at, provider, booking_source
                            FROM public.appointments WHERE lead_id = ANY(%s)""", (leads,))
    cols = [d.name for d in cur.description]
    appointments = [dict(zip(cols, r)) for r in cur.fetchall()]
    for lead in leads:
        stored = conn.execute(f"SELECT {', '.join(ROLLUP)} FROM public.leads WHERE id = %s", (lead,)).fetchone()
        mine = [a for a in appointments if a["lead_id"] == lead]
        assert stored == expected_rollup(mine, now, active), f"lead {lead} with appointments {mine}"
        # The rule's commit step and dbguard.lead_primary_appointment (the check's and the
        # isolation tests' oracle) choose the same appointment.
        primary = conn.execute("SELECT dbguard.lead_primary_appointment(%s)", (lead,)).fetchone()[0]
        assert stored[0] == primary, f"lead {lead} with appointments {mine}"
    conn.rollback()


def _rollup(conn, lead):
    return row(conn, "leads", lead)


def test_next_upcoming_active_appointment_is_primary(conn, make_lead):
    lead = make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    insert(conn, "appointments", lead_id=lead, starts_at=now + timedelta(days=5))
    soon = insert(conn, "appointments", lead_id=lead, starts_at=now + timedelta(days=1), provider="calcom",
                  source="cal.com", ends_at=now + timedelta(days=1, hours=1))
    insert(conn, "appointments", lead_id=lead, starts_at=now - timedelta(days=1))
    r = _rollup(conn, lead)
    assert (r["appointment_id"], r["appointment_start_at"], r["appointment_end_at"], r["appointment_status"],
            r["appointment_provider"], r["appointment_source"]) == \
        (soon["id"], soon["starts_at"], soon["ends_at"], "scheduled", "calcom", "cal.com_direct")
    assert r["appointment_last_checked_at"] is not None


def test_latest_active_then_latest_cancelled_then_cleared(conn, make_lead):
    lead = make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    old = insert(conn, "appointments", lead_id=lead, starts_at=now - timedelta(days=9))["id"]
    recent = insert(conn, "appointments", lead_id=lead, starts_at=now - timedelta(days=2))["id"]
    assert _rollup(conn, lead)["appointment_id"] == recent
    update(conn, "appointments", recent, status="completed")
    assert _rollup(conn, lead)["appointment_id"] == old
    update(conn, "appointments", old, status="cancelled")
    r = _rollup(conn, lead)
    assert (r["appointment_id"], r["appointment_status"]) == (old, "cancelled")
    assert r["appointment_canceled_at"] is not None
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (old,))
    assert all(_rollup(conn, lead)[c] is None for c in ROLLUP)


def test_moving_an_appointment_updates_both_leads(conn, make_lead):
    a_lead, b_lead = make_lead(), make_lead()
    a = insert(conn, "appointments", lead_id=a_lead, starts_at=datetime.now().astimezone() + timedelta(days=1))["id"]
    update(conn, "appointments", a, lead_id=b_lead)
    assert _rollup(conn, a_lead)["appointment_id"] is None
    assert _rollup(conn, b_lead)["appointment_id"] == a
    update(conn, "appointments", a, lead_id=None)
    assert _rollup(conn, b_lead)["appointment_id"] is None


def test_lead_is_written_only_when_its_rollup_changes(conn, make_lead):
    lead = make_lead()
    a = insert(conn, "appointments", lead_id=lead, starts_at=datetime.now().astimezone() + timedelta(days=1))["id"]
    other = insert(conn, "appointments", lead_id=lead, starts_at=datetime.now().astimezone() + timedelta(days=3))["id"]
    conn.commit()
    before = conn.execute("SELECT xmin::text FROM public.leads WHERE id = %s", (lead,)).fetchone()[0]
    update(conn, "appointments", other, status="confirmed")  # not the primary: rollup unchanged
    conn.commit()
    assert conn.execute("SELECT xmin::text FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == before
    update(conn, "appointments", a, status="confirmed")
    conn.commit()
    assert conn.execute("SELECT xmin::text FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] != before


def test_alert_mode_reports_drift_and_leaves_the_lead(conn, make_lead):
    dbguard.set_mode(conn, "lead_rollup", "alert")
    lead = make_lead()
    insert(conn, "appointments", lead_id=lead, starts_at=datetime.now().astimezone() + timedelta(days=1))
    assert _rollup(conn, lead)["appointment_id"] is None
    [alert] = alerts(conn, "lead_rollup")
    assert (alert["alert_type"], alert["entity_id"], alert["auto_corrected"]) == ("lead_rollup_drift", str(lead), False)


def test_mode_off_leaves_the_lead(conn, make_lead):
    dbguard.set_mode(conn, "lead_rollup", "off")
    lead = make_lead()
    insert(conn, "appointments", lead_id=lead, starts_at=datetime.now().astimezone() + timedelta(days=1))
    assert _rollup(conn, lead)["appointment_id"] is None and alerts(conn, "lead_rollup") == []


def test_deleted_lead_does_not_break_its_appointments(conn, make_lead):
    lead = make_lead()
    a = insert(conn, "appointments", lead_id=lead)["id"]
    conn.execute("DELETE FROM public.leads WHERE id = %s", (lead,))
    assert row(conn, "appointments", a)["lead_id"] is None


# --- property: random histories across several leads -------------------------------------

# Weighted towards the past and inactive statuses, so that leads without an
# upcoming active appointment (the "latest active" and "latest cancelled" cases) are common.
hours = st.builds(lambda sign, h: sign * h, st.sampled_from([-1, -1, 1]), st.integers(min_value=1, max_value=240))
status = st.sampled_from(STATUSES + ["cancelled", "completed", "cancelled"])
lead_choice = st.one_of(st.none(), st.integers(0, 1), st.integers(0, 1))
op = st.one_of(
    st.tuples(st.just("insert"), lead_choice, status, hours,
              st.sampled_from([None, "calcom", "ghl"])),
    st.tuples(st.just("status"), st.integers(0, 50), status),
    st.tuples(st.just("reschedule"), st.integers(0, 50), hours),
    st.tuples(st.just("move"), st.integers(0, 50), lead_choice),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("successor"), st.integers(0, 50), hours),
)


def _apply(conn, step, leads, ids, now):
    kind = step[0]
    if kind == "insert":
        _, lead, status, h, provider = step
        ids.append(insert(conn, "appointments", lead_id=None if lead is None else leads[lead], status=status,
                          starts_at=now + timedelta(hours=h), provider=provider)["id"])
        return
    if not ids:
        return
    target = ids[step[1] % len(ids)]
    if kind == "status":
        update(conn, "appointments", target, status=step[2])
    elif kind == "reschedule":
        update(conn, "appointments", target, starts_at=now + timedelta(hours=step[2]))
    elif kind == "successor":  # rebooked as a new appointment: inherits the lead, retires the old one
        ids.append(insert(conn, "appointments", rescheduled_from_id=target, starts_at=now + timedelta(hours=step[2]))["id"])
    elif kind == "move":
        update(conn, "appointments", target, lead_id=None if step[2] is None else leads[step[2]])
    else:
        conn.execute("DELETE FROM public.appointments WHERE id = %s", (target,))
        ids.remove(target)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transactions=st.lists(st.lists(op, min_size=1, max_size=4), min_size=3, max_size=15))
def test_rollup_equals_python_model_after_every_transaction(conn, transactions):
    company = insert(conn, "companies", name="property")["id"]
    leads = [insert(conn, "leads", company_id=company)["id"] for _ in range(2)]
    conn.commit()
    now = conn.execute("SELECT now()").fetchone()[0]
    ids: list[int] = []
    for tx in transactions:
        for step in tx:
            _apply(conn, step, leads, ids, now)
        conn.commit()
        assert_rollups_match(conn, leads)


# --- concurrency: parallel writers on the same leads ---------------------------------------

def test_concurrent_writers_never_leave_the_rollup_stale(conn, dsn, make_lead):
    """Rounds of four writers, each writing one appointment of the same two leads at
    once; after every round (all committed) each rollup equals the model."""
    leads = [make_lead(), make_lead()]
    now = conn.execute("SELECT now()").fetchone()[0]
    seed_ids = [insert(conn, "appointments", lead_id=leads[i % 2], starts_at=now + timedelta(hours=24 * (i + 1)))["id"]
                for i in range(8)]
    conn.commit()
    writers, rounds = 4, 40
    errors: list[BaseException] = []
    round_done = threading.Barrier(writers + 1)
    checked = threading.Barrier(writers + 1)

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        with psycopg.connect(dsn) as c:
            for _ in range(rounds):
                try:
                    target = seed_ids[(seed + rnd.randrange(2) * writers) % len(seed_ids)]
                    choice = rnd.random()
                    if choice < 0.2:
                        insert(c, "appointments", lead_id=rnd.choice(leads), status=rnd.choice(STATUSES),
                               starts_at=now + timedelta(hours=rnd.choice([-1, 1]) * rnd.randint(1, 500)))
                    elif choice < 0.5:
                        update(c, "appointments", target, status=rnd.choice(STATUSES))
                    elif choice < 0.75:
                        update(c, "appointments", target, starts_at=now + timedelta(hours=rnd.randint(-500, 500) or 1))
                    else:
                        update(c, "appointments", target, lead_id=rnd.choice(leads))
                    # Keep the transaction open a moment so the writers overlap.
                    c.execute("SELECT pg_sleep(0.005)")
                    c.commit()
                except BaseException as exc:  # reported by the main thread
                    errors.append(exc)
                    c.rollback()
                try:
                    round_done.wait()
                    checked.wait()
                except threading.BrokenBarrierError:  # the main thread failed and stopped the rounds
                    return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    try:
        for _ in range(rounds):
            round_done.wait()
            assert errors == [], "no writer may fail (deadlock, serialization error)"
            assert_rollups_match(conn, leads)
            checked.wait()
    except BaseException:
        round_done.abort()
        checked.abort()
        raise
    finally:
        for t in threads:
            t.join()


def test_a_writer_of_a_lead_does_not_wait_for_another_open_writer_of_it(conn, connect, make_lead):
    """T1 writes an appointment of the lead and stays open; T2 writes another and commits without
    waiting for T1; when T1 commits, the rollup describes both."""
    lead = make_lead()
    conn.commit()
    now = conn.execute("SELECT now()").fetchone()[0]
    conn.rollback()
    t1, t2 = connect(), connect()
    t2.execute("SET lock_timeout = '2s'")
    soon = insert(t1, "appointments", lead_id=lead, starts_at=now + timedelta(days=1))["id"]
    later = insert(t2, "appointments", lead_id=lead, starts_at=now + timedelta(days=5))["id"]
    t2.commit()
    assert row(conn, "leads", lead)["appointment_id"] == later
    conn.rollback()
    t1.commit()
    assert row(conn, "leads", lead)["appointment_id"] == soon
    assert_rollups_match(conn, [lead])


def test_refresh_lead_rollup_repairs_a_hand_edited_lead_and_reports_it(conn, make_lead):
    lead = make_lead()
    a = insert(conn, "appointments", lead_id=lead, starts_at=datetime.now().astimezone() + timedelta(days=1))["id"]
    conn.commit()                                  # the rollup step runs at commit
    conn.execute("UPDATE public.leads SET appointment_status = 'cancelled', appointment_id = NULL WHERE id = %s", (lead,))
    assert conn.execute("SELECT dbguard.refresh_lead_rollup(%s, false)", (lead,)).fetchone()[0] is True
    assert row(conn, "leads", lead)["appointment_id"] is None, "a dry comparison writes nothing"
    assert conn.execute("SELECT dbguard.refresh_lead_rollup(%s)", (lead,)).fetchone()[0] is True
    assert (row(conn, "leads", lead)["appointment_id"], row(conn, "leads", lead)["appointment_status"]) == (a, "scheduled")
    assert conn.execute("SELECT dbguard.refresh_lead_rollup(%s)", (lead,)).fetchone()[0] is False
    assert conn.execute("SELECT dbguard.lead_primary_appointment(%s)", (lead,)).fetchone()[0] == a


def test_legacy_rollup_without_appointment_row_is_kept_in_an_alert_when_replaced(conn, make_lead):
    legacy_start = datetime(2024, 2, 3, 10, 0).astimezone()
    lead = make_lead(appointment_start_at=legacy_start, appointment_status="confirmed", appointment_provider="ghl")
    a = insert(conn, "appointments", lead_id=lead, starts_at=datetime.now().astimezone() + timedelta(days=1))["id"]
    assert row(conn, "leads", lead)["appointment_id"] == a
    [alert] = alerts(conn, "lead_rollup")
    assert alert["alert_type"] == "lead_rollup_legacy_replaced" and alert["entity_id"] == str(lead)
    old = alert["details"]["old_rollup"]
    assert datetime.fromisoformat(old.pop("appointment_start_at")) == legacy_start
    assert old == {"appointment_status": "confirmed", "appointment_provider": "ghl"}
    update(conn, "appointments", a, status="confirmed")
    assert len(alerts(conn, "lead_rollup")) == 1, "an ordinary rollup change is silent"


def test_bulk_statement_across_leads_refreshes_each_lead(conn, make_lead):
    leads = [make_lead() for _ in range(3)]
    soon = datetime.now().astimezone() + timedelta(days=1)
    ids = [insert(conn, "appointments", lead_id=lead, starts_at=soon + timedelta(hours=i))["id"]
           for i, lead in enumerate(leads * 2)]
    conn.execute("UPDATE public.appointments SET status = 'cancelled' WHERE id = ANY(%s)", (ids[:4],))
    conn.execute("UPDATE public.appointments SET lead_id = %s WHERE id = ANY(%s)", (leads[0], ids[4:]))
    conn.commit()
    assert_rollups_match(conn, leads)
    conn.execute("DELETE FROM public.appointments WHERE lead_id = %s", (leads[0],))
    conn.commit()
    assert_rollups_match(conn, leads)
    assert row(conn, "leads", leads[0])["appointment_id"] is None


def test_completed_no_show_and_rescheduled_are_never_primary(conn, make_lead):
    lead = make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    for i, status in enumerate(["completed", "no_show", "rescheduled"]):
        insert(conn, "appointments", lead_id=lead, status=status, starts_at=now + timedelta(days=i - 1))
    assert _rollup(conn, lead)["appointment_id"] is None
    cancelled = insert(conn, "appointments", lead_id=lead, status="cancelled", starts_at=now - timedelta(days=30))["id"]
    assert _rollup(conn, lead)["appointment_id"] == cancelled


@pytest.mark.parametrize("recorded", ["", "not a list", "1,,2", "-5", "99999999999999999999", "1;DROP TABLE x",
                                      "7,7,7"])
def test_lead_ids_a_session_writes_into_the_rollup_setting_break_nothing_and_skip_nothing(conn, make_lead,
                                                                                          recorded):
    lead = make_lead()
    conn.execute("SELECT set_config('dbguard.lead_rollup_leads', %s, true)", (recorded,))
    now = conn.execute("SELECT now()").fetchone()[0]
    booked = insert(conn, "appointments", lead_id=lead, starts_at=now + timedelta(days=1))
    assert _rollup(conn, lead)["appointment_id"] == booked["id"]


def test_recorded_lead_ids_are_read_as_plain_ids_only(conn):
    def ids(text):
        return conn.execute("SELECT dbguard.lead_rollup_pending_ids(%s)", (text,)).fetchone()[0]

    assert ids("3,1,2") == [3, 1, 2]
    assert sorted(ids("1,x,2,-3,,4")) == [1, 2, 4]
    assert ids("") == [] and ids(None) == [] and ids("99999999999999999999") == []
