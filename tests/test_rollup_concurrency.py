"""lead_rollup adds no deadlock and no waiting that the same application workload lacks with
the rules off: the rollup is brought up to date once per transaction, at commit, in ascending
lead order, and never waits for a lead row another transaction holds."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

import dbguard

from .plugins.calls import wait_until_blocked
from .plugins.lifecycle import insert

ROUNDS = 10


def _rollup_matches_primary(conn, lead) -> bool:
    return conn.execute("SELECT appointment_id IS NOT DISTINCT FROM dbguard.lead_primary_appointment(id) "
                        "FROM public.leads WHERE id = %s", (lead,)).fetchone()[0]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["off", "alert", "correct", "enforce"])
def test_two_sessions_writing_two_leads_in_opposite_order_never_deadlock(conn, connect, make_lead, mode):
    dbguard.set_mode(conn, "lead_rollup", mode)
    leads = [make_lead(), make_lead()]
    conn.commit()
    now = conn.execute("SELECT now()").fetchone()[0]
    conn.rollback()
    failures: list[str] = []
    start = threading.Barrier(2)
    middle = threading.Barrier(2)

    def session(order: list[int]) -> None:
        c = connect()
        c.execute("SET lock_timeout = '10s'")
        for i in range(ROUNDS):
            try:
                start.wait()
                insert(c, "appointments", lead_id=order[0], starts_at=now + timedelta(days=i + 1))
                middle.wait()          # both sessions hold their first write before the second
                insert(c, "appointments", lead_id=order[1], starts_at=now + timedelta(days=i + 1, hours=1))
                c.commit()
            except psycopg.Error as exc:
                failures.append(exc.sqlstate or type(exc).__name__)
                c.rollback()
            except threading.BrokenBarrierError:
                return

    threads = [threading.Thread(target=session, args=(order,)) for order in (leads, leads[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == [], f"{mode}: {failures}"
    if mode in ("correct", "enforce"):
        conn.execute("SELECT dbguard.refresh_lead_rollups('{}')")
        assert all(_rollup_matches_primary(conn, lead) for lead in leads)


@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_an_admin_updating_a_lead_then_its_appointment_does_not_deadlock_with_a_webhook(
        conn, connect, make_lead, mode):
    dbguard.set_mode(conn, "lead_rollup", mode)
    lead = make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    appointment = insert(conn, "appointments", lead_id=lead, starts_at=now + timedelta(days=3))["id"]
    conn.commit()
    admin, webhook, watcher = connect(), connect(), connect(autocommit=True)
    for c in (admin, webhook):
        c.execute("SET lock_timeout = '10s'")
    admin.execute("UPDATE public.leads SET name = 'edited by admin' WHERE id = %s", (lead,))
    # The webhook moves the appointment: it does not wait for the admin's lead row.
    webhook.execute("UPDATE public.appointments SET starts_at = %s WHERE id = %s",
                    (now + timedelta(days=2), appointment))
    failures: list[str] = []

    def admin_edits_the_appointment() -> None:
        try:
            admin.execute("UPDATE public.appointments SET notes = 'called back' WHERE id = %s", (appointment,))
            admin.commit()
        except psycopg.Error as exc:
            failures.append(exc.sqlstate)
            admin.rollback()

    thread = threading.Thread(target=admin_edits_the_appointment)
    thread.start()
    wait_until_blocked(watcher, admin.info.backend_pid)     # the admin waits for the webhook's row
    webhook.commit()                                         # the webhook's rollup step does not wait
    thread.join(timeout=60)
    assert failures == []
    assert conn.execute("SELECT name, appointment_start_at FROM public.leads WHERE id = %s", (lead,)).fetchone() == \
        ("edited by admin", now + timedelta(days=2))
    assert conn.execute("SELECT count(*) FROM dbguard.pending_lead_rollups").fetchone()[0] == 0


def test_a_lead_skipped_at_commit_is_brought_up_to_date_by_the_next_commit_step(conn, connect, make_lead):
    lead, other = make_lead(), make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    conn.commit()
    holder, writer = connect(), connect()
    holder.execute("SELECT 1 FROM public.leads WHERE id = %s FOR NO KEY UPDATE", (lead,))
    booked = insert(writer, "appointments", lead_id=lead, starts_at=now + timedelta(days=1))["id"]
    writer.commit()                                          # the lead is held: queued, not waited for
    assert conn.execute("SELECT lead_id FROM dbguard.pending_lead_rollups").fetchall() == [(lead,)]
    conn.rollback()
    holder.rollback()
    insert(writer, "appointments", lead_id=other, starts_at=now + timedelta(days=1))
    writer.commit()                                          # any later commit step takes it up
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == booked
    assert conn.execute("SELECT count(*) FROM dbguard.pending_lead_rollups").fetchone()[0] == 0


def test_a_lead_skipped_at_commit_is_found_and_fixed_by_reconcile(conn, connect, make_lead):
    lead = make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    conn.commit()
    holder, writer = connect(), connect()
    holder.execute("SELECT 1 FROM public.leads WHERE id = %s FOR NO KEY UPDATE", (lead,))
    insert(writer, "appointments", lead_id=lead, starts_at=now + timedelta(days=1))
    writer.commit()
    holder.rollback()
    assert [v["entity_id"] for v in dbguard.check(conn, rules=["lead_rollup_drift"]).violations] == [lead]
    conn.commit()
    dbguard.reconcile(connect(autocommit=True), rules=["lead_rollup_drift"])
    assert _rollup_matches_primary(conn, lead)


def test_a_savepoint_rolled_back_with_the_first_write_still_leaves_the_rollup_right(conn, make_lead):
    lead = make_lead()
    now = conn.execute("SELECT now()").fetchone()[0]
    conn.commit()
    with pytest.raises(psycopg.errors.CheckViolation):
        with conn.transaction():
            insert(conn, "appointments", lead_id=lead, starts_at=now + timedelta(days=1))
            insert(conn, "appointments", lead_id=lead, starts_at=now, ends_at=now - timedelta(hours=1))
    kept = insert(conn, "appointments", lead_id=lead, starts_at=now + timedelta(days=2))["id"]
    conn.commit()
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == kept
