"""The isolation runner itself: a permutation is skipped only when it schedules a
step of a session that is still waiting, never because a released session had
not finished yet when the next step was sent."""

from __future__ import annotations

import psycopg

from .isolation.runner import Spec, run_spec


def reset(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS public.runner_probe (id int PRIMARY KEY, n int NOT NULL)")
    conn.execute("TRUNCATE public.runner_probe")
    conn.execute("INSERT INTO public.runner_probe VALUES (1, 0)")


def both_increments_count(conn: psycopg.Connection) -> None:
    assert conn.execute("SELECT n FROM public.runner_probe WHERE id = 1").fetchone()[0] == 2


# Each update goes on working for 0.2 s once it has the row (as a trigger would),
# so a released session is still busy when the runner sends the next step.
SPEC = Spec(name="two updates of one row", check=both_increments_count, sessions={
    s: [(f"{s}_update", "BEGIN; UPDATE public.runner_probe SET n = n + 1 WHERE id = 1 RETURNING pg_sleep(0.2)"),
        (f"{s}_commit", "COMMIT")]
    for s in ("s1", "s2")})


def test_every_permutation_that_can_happen_is_run(dsn):
    outcomes = run_spec(dsn, SPEC, reset)
    # Of the 6 interleavings, only "s1 updates, s2 updates (waits), s2 commits" and its mirror
    # schedule a step of a waiting session; the other 4 run, including the two where the
    # waiting session's commit follows right after the commit that released it.
    assert len(outcomes) == 6
    assert sorted(o.permutation for o in outcomes if o.valid) == sorted([
        ("s1_update", "s1_commit", "s2_update", "s2_commit"),
        ("s1_update", "s2_update", "s1_commit", "s2_commit"),
        ("s2_update", "s1_update", "s2_commit", "s1_commit"),
        ("s2_update", "s2_commit", "s1_update", "s1_commit"),
    ])
