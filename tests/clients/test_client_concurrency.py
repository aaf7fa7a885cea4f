"""Two application clients at once, each transaction writing an appointment of lead A and
one of lead B, in opposite order: the rules must add no deadlock (40P01) that the same
workload does not have with the rules off (DESIGN §6)."""

from __future__ import annotations

import datetime as dt

import pytest
from psycopg import sql

from .harness import ClientProcess

PAIRS = 20
DEADLOCK = "40P01"
NEEDS_ROLLUP_AT_COMMIT = ("needs lead_rollup to take its lead locks once per transaction at commit, in a fixed "
                          "order, instead of from the first appointment write")


@pytest.fixture
def leads(conn, company_id) -> tuple[int, int]:
    ids = tuple(conn.execute("INSERT INTO public.leads (company_id, name) VALUES (%s, 'A'), (%s, 'B') RETURNING id",
                             (company_id, company_id)).fetchall())
    # A deadlock is a deadlock whenever it is detected; found after 50 ms instead of the default
    # 1 s, the twenty pairs take seconds even where every pair deadlocks.
    conn.execute(sql.SQL("ALTER DATABASE {} SET deadlock_timeout = '50ms'").format(sql.Identifier(conn.info.dbname)))
    conn.commit()
    return ids[0][0], ids[1][0]


def opposite_pairs(client: str, login: dict, company_id: int, leads: tuple[int, int]) -> list[dict]:
    """PAIRS transactions on each of two clients, one writing A then B, the other B then A. The
    harness starts each pair's two transactions together and lets neither write its second
    appointment before both have written their first, so the two overlap as badly as they can;
    the next pair starts when both have ended. The errors, per transaction."""
    a, b = leads
    start = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.timezone.utc).isoformat()
    procs = [ClientProcess(client, login, "opposite", company_id=company_id, leads=order, pairs=PAIRS, starts_at=start)
             for order in ([a, b], [b, a])]
    errors: list[dict] = []
    try:
        for i in range(PAIRS):
            for p in procs:
                p.send("begin")
            answers = [p.read() for p in procs]
            waiting = [p for p, answer in zip(procs, answers) if answer.get("ready") == i]
            for p in waiting:
                p.send("go")
            answers = [p.read() if p in waiting else answer for p, answer in zip(procs, answers)]
            assert [answer.get("done") for answer in answers] == [i, i], answers
            errors += [answer["error"] for answer in answers if answer["error"]]
        for p in procs:
            p.result()
    finally:
        for p in procs:
            p.kill()
    return errors


def check_no_deadlock(conn, client, login, all_rules, company_id, leads, mode) -> None:
    all_rules(mode)
    errors = opposite_pairs(client, login, company_id, leads)
    deadlocks = [e for e in errors if e["sqlstate"] == DEADLOCK]
    assert deadlocks == [], f"{len(deadlocks)} of {2 * PAIRS} transactions failed with 40P01 in {mode} mode"
    assert errors == []
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM public.appointments").fetchone()[0] == 4 * PAIRS


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["off", "alert"])
def test_opposite_order_transactions_on_two_leads_never_deadlock(conn, client, login, all_rules, company_id, leads,
                                                                 mode):
    check_no_deadlock(conn, client, login, all_rules, company_id, leads, mode)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=NEEDS_ROLLUP_AT_COMMIT)
@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_opposite_order_transactions_on_two_leads_never_deadlock_with_the_rules_on(conn, client, login, all_rules,
                                                                                  company_id, leads, mode):
    check_no_deadlock(conn, client, login, all_rules, company_id, leads, mode)
