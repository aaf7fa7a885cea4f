"""appointment_link_sync under real parallel sessions: flags match appointments, no deadlock."""

from __future__ import annotations

import random
import threading

import psycopg
import pytest

from .plugins.calls import call, new_appointment, new_call, wait_until_blocked


def _expected(conn, call_id):
    newest = conn.execute("SELECT max(id) FROM public.appointments WHERE call_id = %s", (call_id,)).fetchone()[0]
    return (newest, newest is not None, "linked" if newest else "unlinked")


def _actual(conn, call_id):
    row = call(conn, call_id)
    # A confirmed call that lost its last appointment was rolled back to creation_failed.
    status = "unlinked" if row["appointment_link_status"] == "creation_failed" else row["appointment_link_status"]
    return (row["appointment_id"], row["appointment_made"], status)


def test_a_delete_that_waited_for_the_call_sees_the_appointment_committed_meanwhile(conn, connect):
    """The READ COMMITTED trap: the waiting statement's snapshot predates the
    other session's insert; only a fresh query after the lock sees it."""
    call_id = new_call(conn)
    first = new_appointment(conn, call_id)
    conn.commit()

    inserter, deleter, watcher = connect(), connect(), connect(autocommit=True)
    second = new_appointment(inserter, call_id)            # holds the call's lock
    errors: list[BaseException] = []

    def delete_first():
        try:
            deleter.execute("DELETE FROM public.appointments WHERE id = %s", (first,))
            deleter.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=delete_first)
    thread.start()
    wait_until_blocked(watcher, deleter.info.backend_pid)
    inserter.commit()
    thread.join(30)
    assert not errors, errors

    assert _actual(watcher, call_id) == (second, True, "linked")


@pytest.mark.parametrize("n_calls, confirmed", [(1, False), (3, False), (3, True)])
def test_parallel_inserts_moves_and_deletes_leave_every_call_matching_its_appointments(conn, connect, n_calls,
                                                                                       confirmed):
    """With confirmed calls, the commit-time check (correct mode) runs in every
    transaction too, taking its lock on the call at commit."""
    calls = [new_call(conn, booking_confirmed=confirmed) for _ in range(n_calls)]
    for call_id in calls:
        new_appointment(conn, call_id)
    conn.commit()
    sessions, rounds = 6, 40
    barrier = threading.Barrier(sessions)
    failures: list[BaseException] = []

    def work(seed: int) -> None:
        rnd = random.Random(seed)
        session = connect()
        try:
            barrier.wait()
            for _ in range(rounds):
                target = rnd.choice(calls)
                action = rnd.random()
                if action < 0.45:
                    new_appointment(session, target)
                elif action < 0.75:
                    session.execute("DELETE FROM public.appointments WHERE id = (SELECT id FROM public.appointments "
                                    "WHERE call_id = %s ORDER BY random() LIMIT 1)", (target,))
                else:
                    session.execute("UPDATE public.appointments SET call_id = %s WHERE id = (SELECT id FROM "
                                    "public.appointments WHERE call_id <> %s ORDER BY random() LIMIT 1)",
                                    (target, target))
                session.commit()
        except BaseException as exc:  # a deadlock or anything else fails the test
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures

    conn.rollback()
    for call_id in calls:
        assert _actual(conn, call_id) == _expected(conn, call_id), f"call {call_id}"
        row = call(conn, call_id)
        assert not row["booking_confirmed"] or row["appointment_made"], f"call {call_id} claims without appointment"
    alert_types = {r[0] for r in conn.execute("SELECT DISTINCT alert_type FROM dbguard.data_consistency_alerts")}
    assert alert_types <= ({"confirmed_without_appointment"} if confirmed else set())


def test_under_repeatable_read_a_concurrent_change_of_the_call_is_a_retryable_error_not_a_stale_flag(conn, connect):
    call_id = new_call(conn)
    first = new_appointment(conn, call_id)
    conn.commit()

    late = connect()
    late.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    late.execute("SELECT 1")  # its snapshot is taken now
    second = new_appointment(conn, call_id)
    conn.commit()

    with pytest.raises(psycopg.errors.SerializationFailure):
        late.execute("DELETE FROM public.appointments WHERE id = %s", (first,))
    late.rollback()
    assert _actual(conn, call_id) == (second, True, "linked")
