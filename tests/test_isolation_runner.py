"""The isolation runner itself: a permutation is skipped only when it schedules a
step of a session that is still waiting, never because a released session had
not finished yet when the next step was sent."""

from __future__ import annotations

import psycopg

from .isolation.runner import Spec, empty, run_spec


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


def test_a_session_starts_each_permutation_as_a_new_one(dsn):
    """Connections are kept across permutations: what a step leaves in its session (a setting,
    a temporary table, an open transaction) is gone before the next permutation."""
    state = ("SELECT current_setting('dbguard.probe', true), to_regclass('pg_temp.probe') IS NOT NULL, "
             "pg_backend_pid(); SET dbguard.probe = 'left behind'; CREATE TEMP TABLE probe (n int)")
    spec = Spec(name="session state", sessions={
        "s1": [("s1_state", state + "; BEGIN"), ("s1_write", "INSERT INTO public.runner_probe VALUES (2, 0)")],
        "s2": [("s2_state", state)]})
    outcomes = run_spec(dsn, spec, reset)
    assert len(outcomes) == 3 and all(o.valid and not o.errors for o in outcomes)
    for session in ("s1", "s2"):
        seen = [o.results[f"{session}_state"][0] for o in outcomes]
        assert len({pid for _, _, pid in seen}) == 1, seen  # one connection for all three
        assert all(setting in (None, "") and not temp for setting, temp, _ in seen), seen
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM public.runner_probe WHERE id = 2").fetchone()[0] == 0


def test_empty_leaves_what_truncate_restart_identity_cascade_leaves(conn):
    conn.execute("INSERT INTO public.companies (name) VALUES ('A')")
    lead = conn.execute("INSERT INTO public.leads (company_id) SELECT id FROM public.companies RETURNING id").fetchone()[0]
    conn.execute("INSERT INTO public.appointments (lead_id, starts_at, ends_at) "
                 "VALUES (%s, '2030-01-07 09:00+00', '2030-01-07 09:30+00')", (lead,))
    empty(conn, "public.leads")
    assert conn.execute("SELECT (SELECT count(*) FROM public.leads), (SELECT count(*) FROM public.appointments)"
                        ).fetchone() == (0, 0)
    again = conn.execute("INSERT INTO public.leads (company_id) SELECT id FROM public.companies RETURNING id").fetchone()[0]
    assert again == 1
