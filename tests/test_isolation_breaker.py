"""Isolation specs: two sessions calling the circuit breaker of one key.

After each permutation the breaker's transition log must be a chain
(each transition starts where the previous one ended) ending in the stored
state, and the spec's own property must hold (one half-open trial, the
breaker opened or closed exactly once).
"""

from __future__ import annotations

import psycopg
import pytest

from .isolation.runner import Spec, run_spec

OPEN_AN_HOUR_AGO = "".join(
    "SELECT dbguard.breaker_record_failure_at('k', 'boom', now() - interval '1 hour');" for _ in range(3))
CALLS = {
    "allow": "SELECT dbguard.breaker_allow('k')",
    "success": "SELECT dbguard.breaker_record_success('k')",
    "failure": "SELECT dbguard.breaker_record_failure('k', 'boom')",
}


def reset(conn: psycopg.Connection) -> None:
    conn.execute("TRUNCATE dbguard.circuit_breaker_states, dbguard.circuit_breaker_transitions")


def transitions(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT from_state, to_state FROM dbguard.circuit_breaker_transitions "
                        "WHERE key = 'k' ORDER BY id").fetchall()


def chain_ends_in_state(conn: psycopg.Connection) -> None:
    steps = transitions(conn)
    state = conn.execute("SELECT state FROM dbguard.circuit_breaker_states WHERE key = 'k'").fetchone()[0]
    assert all(a[1] == b[0] for a, b in zip(steps, steps[1:])), steps
    assert (steps[-1][1] if steps else "closed") == state, (steps, state)


def spec(name: str, setup: str, first: str, second: str, verify) -> Spec:
    return Spec(name=name, setup=setup, verify=verify,
                sessions={s: [(f"{s}_begin", "BEGIN"), (f"{s}_{op}", CALLS[op]), (f"{s}_commit", "COMMIT")]
                          for s, op in (("s1", first), ("s2", second))})


def one_trial(conn, outcome) -> None:
    chain_ends_in_state(conn)
    granted = [step for step, rows in outcome.results.items() if rows and rows[0][0] is True]
    assert len(granted) == 1, outcome.results
    assert transitions(conn)[-1] == ("open", "half_open")
    assert transitions(conn).count(("open", "half_open")) == 1


def opened_once(conn, outcome) -> None:
    chain_ends_in_state(conn)
    assert transitions(conn) == [("closed", "open")]
    assert conn.execute("SELECT failure_count FROM dbguard.circuit_breaker_states WHERE key = 'k'").fetchone()[0] == 4


def closed_once(conn, outcome) -> None:
    chain_ends_in_state(conn)
    assert transitions(conn)[-1] == ("half_open", "closed")
    assert transitions(conn).count(("half_open", "closed")) == 1


def trial_reported_once(conn, outcome) -> None:
    chain_ends_in_state(conn)
    # the trial's two reports: whichever came first decides, the other is a late report
    last = transitions(conn)[-1]
    assert last in {("half_open", "open"), ("half_open", "closed")}, last


SPECS = [
    # cool-down over: two callers race for the single half-open trial
    spec("allow+allow", OPEN_AN_HOUR_AGO, "allow", "allow", one_trial),
    # closed, two failures so far (threshold 3): two more failures open it exactly once
    spec("failure+failure", "SELECT dbguard.breaker_record_failure('k'), dbguard.breaker_record_failure('k');",
         "failure", "failure", opened_once),
    # half-open, success_threshold 2, one good trial already: two successes close it exactly once
    spec("success+success", OPEN_AN_HOUR_AGO + "SELECT dbguard.breaker_allow('k'), dbguard.breaker_record_success('k');",
         "success", "success", closed_once),
    # half-open with a trial out: its success and a failure report race
    spec("success+failure", OPEN_AN_HOUR_AGO + "SELECT dbguard.breaker_allow('k');", "success", "failure",
         trial_reported_once),
]


@pytest.mark.parametrize("breaker_spec", SPECS, ids=lambda s: s.name)
def test_concurrent_breaker_calls_on_one_key_take_turns(dsn, breaker_spec):
    outcomes = run_spec(dsn, breaker_spec, reset)
    assert len(outcomes) == 20
    assert all(not o.errors for o in outcomes if o.valid)
