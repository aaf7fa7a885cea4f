"""Two application clients at once writing appointments of the same leads: the rules must add
no deadlock (40P01) and no waiting that the same workload does not have with the rules off
(DESIGN §6). Each transaction writes an appointment of lead A and one of lead B, the two
clients in opposite order; or both clients book lead A."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from psycopg import sql

from .harness import TIMEOUT, RunningClient, start

PAIRS = 20
DEADLOCK = "40P01"
SAME_LEAD_PAIRS = 10


@pytest.fixture
def leads(conn, company_id) -> tuple[int, int]:
    ids = tuple(conn.execute("INSERT INTO public.leads (company_id, name) VALUES (%s, 'A'), (%s, 'B') RETURNING id",
                             (company_id, company_id)).fetchall())
    # A deadlock is a deadlock whenever it is detected; found after 50 ms instead of the default
    # 1 s, the twenty pairs take seconds even where every pair deadlocks.
    conn.execute(sql.SQL("ALTER DATABASE {} SET deadlock_timeout = '50ms'").format(sql.Identifier(conn.info.dbname)))
    conn.commit()
    return ids[0][0], ids[1][0]


def first_writes(procs: list[RunningClient], watcher, user: str) -> list[dict | None]:
    """Each client's answer after its first write; None for a client whose first write waits
    for a lock (seen in pg_stat_activity) while another client already answered."""
    answers: list[dict | None] = [None] * len(procs)
    deadline = time.monotonic() + TIMEOUT
    while None in answers:
        for k, p in enumerate(procs):
            if answers[k] is None:
                answers[k] = p.poll(0.02)
        if None in answers and any(answers) and watcher.execute(
                "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = %s AND wait_event_type = 'Lock'",
                (user,)).fetchone()[0]:
            break
        assert time.monotonic() < deadline, f"no first write within {TIMEOUT} s: {answers}"
    return answers


def opposite_pairs(client: str, login: dict, watcher, company_id: int, leads: tuple[int, int],
                   pairs: int = PAIRS) -> tuple[list, int]:
    """``pairs`` transactions on each of two clients, one writing ``leads`` in order, the other in
    reverse order (A then B and B then A; or A, A for both). The
    harness starts each pair's two transactions together and lets neither write its second
    appointment before both have written their first, so the two overlap as badly as they can;
    the next pair starts when both have ended. (The errors, the number of first writes that
    had to wait for the other transaction.)"""
    a, b = leads
    first_day = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.timezone.utc).isoformat()
    procs = [start(client, login, "opposite", company_id=company_id, leads=order, pairs=pairs, starts_at=first_day)
             for order in ([a, b], [b, a])]
    errors: list[dict] = []
    serialised = 0
    try:
        for i in range(pairs):
            for p in procs:
                p.send("begin")
            answers = first_writes(procs, watcher, login["user"])
            ready = [k for k, answer in enumerate(answers) if answer is not None and answer.get("ready") == i]
            blocked = [k for k, answer in enumerate(answers) if answer is None]
            serialised += len(blocked)
            for k in ready:
                procs[k].send("go")
            for k in ready:
                answers[k] = procs[k].read()
            # A client whose first write waited goes on once the others have ended.
            for k in blocked:
                answer = procs[k].read()
                if answer.get("ready") == i:
                    procs[k].send("go")
                    answer = procs[k].read()
                answers[k] = answer
            assert [answer.get("done") for answer in answers] == [i, i], answers
            errors += [answer["error"] for answer in answers if answer["error"]]
        for p in procs:
            p.result()
    finally:
        for p in procs:
            p.kill()
    return errors, serialised


def check_no_deadlock(conn, connect, client, login, all_rules, company_id, leads, mode) -> None:
    all_rules(mode)
    errors, serialised = opposite_pairs(client, login, connect(autocommit=True), company_id, leads)
    deadlocks = [e for e in errors if e["sqlstate"] == DEADLOCK]
    assert deadlocks == [], f"{len(deadlocks)} of {2 * PAIRS} transactions failed with 40P01 in {mode} mode"
    assert errors == []
    assert serialised == 0, f"{serialised} of {2 * PAIRS} first writes waited for the other transaction"
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM public.appointments").fetchone()[0] == 4 * PAIRS


@pytest.mark.slow
def test_opposite_order_transactions_on_two_leads_never_deadlock_with_the_rules_off(conn, connect, client, login,
                                                                                   all_rules, company_id, leads):
    check_no_deadlock(conn, connect, client, login, all_rules, company_id, leads, "off")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_opposite_order_transactions_on_two_leads_never_deadlock_with_the_rules_on(conn, connect, client, login,
                                                                                  all_rules, company_id, leads, mode):
    check_no_deadlock(conn, connect, client, login, all_rules, company_id, leads, mode)


def check_no_wait(conn, connect, client, login, all_rules, company_id, lead, mode) -> None:
    all_rules(mode)
    errors, serialised = opposite_pairs(client, login, connect(autocommit=True), company_id, (lead, lead),
                                        pairs=SAME_LEAD_PAIRS)
    assert errors == []
    assert serialised == 0, f"{serialised} of {2 * SAME_LEAD_PAIRS} bookings of one lead waited for the other " \
                            f"transaction at their first write in {mode} mode"


@pytest.mark.slow
def test_two_bookings_of_one_lead_do_not_wait_for_each_other_with_the_rules_off(conn, connect, client, login,
                                                                               all_rules, company_id, leads):
    check_no_wait(conn, connect, client, login, all_rules, company_id, leads[0], "off")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_two_bookings_of_one_lead_do_not_wait_for_each_other_before_commit_with_the_rules_on(
        conn, connect, client, login, all_rules, company_id, leads, mode):
    check_no_wait(conn, connect, client, login, all_rules, company_id, leads[0], mode)
