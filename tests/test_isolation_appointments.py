"""Isolation specs: two sessions writing the appointments of one call.

Each spec is 2 sessions x (BEGIN, step, COMMIT): 20 permutations. After each
one the rule catalog (dbguard.check, read only) must find no offender and every
call must describe the appointments that exist for it; a deadlock fails.
"""

from __future__ import annotations

import itertools

import psycopg
import pytest

from .isolation.consistency import assert_calls_follow_appointments, assert_catalog_clean
from .isolation.runner import Spec, empty, run_spec

SLOT = "'2030-01-07 09:00+00', '2030-01-07 09:30+00'"

# Starting data: call 1 has appointment 1, call 2 has appointment 2, call 3 has none.
SETUP = f"""
INSERT INTO public.calls (id) VALUES (1), (2), (3);
INSERT INTO public.appointments (id, call_id, starts_at, ends_at) VALUES (1, 1, {SLOT}), (2, 2, {SLOT});
SELECT setval(pg_get_serial_sequence('public.appointments', 'id'), 100);
SELECT setval(pg_get_serial_sequence('public.calls', 'id'), 100);
"""

# What one session does to call 1 inside its transaction.
OPERATIONS = {
    "insert": f"INSERT INTO public.appointments (call_id, starts_at, ends_at) VALUES (1, {SLOT})",
    "delete": "DELETE FROM public.appointments WHERE id = 1",
    "move_in": "UPDATE public.appointments SET call_id = 1 WHERE id = 2",
    "move_out": "UPDATE public.appointments SET call_id = 2 WHERE id = 1",
    "confirm": "UPDATE public.calls SET booking_confirmed = true WHERE id = 1",
    "unconfirm": "UPDATE public.calls SET booking_confirmed = false WHERE id = 1",
}


def reset(conn: psycopg.Connection) -> None:
    empty(conn, "public.appointment_events", "public.appointments", "public.calls",
          "dbguard.data_consistency_alerts", "dbguard.manual_review_queue")


def two_sessions(name: str, first: str, second: str, *, setup: str = SETUP, **kw) -> Spec:
    """s1 runs ``first``, s2 runs ``second`` (SQL), each as BEGIN / statement / COMMIT."""
    return Spec(
        name=name,
        sessions={s: [(f"{s}_begin", "BEGIN"), (f"{s}_{s}", sql), (f"{s}_commit", "COMMIT")]
                  for s, sql in (("s1", first), ("s2", second))},
        setup=setup, **kw)


def consistent(conn: psycopg.Connection) -> None:
    assert_catalog_clean(conn)
    assert_calls_follow_appointments(conn)


def run_and_count(dsn: str, spec: Spec) -> list:
    outcomes = run_spec(dsn, spec, reset)
    assert len(outcomes) == 20
    return outcomes


@pytest.mark.slow
@pytest.mark.parametrize("first, second",
                         list(itertools.combinations_with_replacement(["insert", "delete", "move_in", "move_out"], 2)))
def test_every_interleaving_of_appointment_writes_on_one_call_keeps_the_calls_consistent(dsn, first, second):
    spec = two_sessions(f"{first}+{second}", OPERATIONS[first], OPERATIONS[second], check=consistent)
    outcomes = run_and_count(dsn, spec)
    assert all(not o.errors for o in outcomes if o.valid)


def _set_mode(dsn: str, mode: str) -> None:
    """Once per spec: the permutations' reset leaves dbguard.rule_settings alone, and every
    write to it recompiles the rules."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE dbguard.rule_settings SET mode = %s WHERE rule = 'booking_confirmed_requires_appointment'",
                     (mode,))


def _claims_were_kept_or_refused(expect_refusal: bool):
    def verify(conn: psycopg.Connection, outcome) -> None:
        consistent(conn)
        refused = [s for s, e in outcome.errors.items() if e.startswith("23Q03")]
        rolled_back = conn.execute("SELECT count(*) FROM public.calls WHERE appointment_link_status = 'creation_failed'"
                                   ).fetchone()[0]
        if expect_refusal:
            assert rolled_back == 0, "enforce never rolls flags back"
        else:
            assert not refused, "correct mode never refuses a commit"
            # each roll-back leaves its critical alert and review entry
            assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue "
                                "WHERE reason = 'appointment_validation_failed'").fetchone()[0] == rolled_back
    return verify


@pytest.mark.parametrize("mode", ["correct", "enforce"])
@pytest.mark.parametrize("toggle, write", [
    ("confirm", "delete"),       # the claim races the loss of the only appointment
    ("confirm", "move_out"),
    ("confirm", "insert"),
    ("unconfirm", "delete"),
])
@pytest.mark.slow
def test_booking_confirmed_toggles_racing_appointment_writes_never_commit_a_claim_without_appointment(
        dsn, mode, toggle, write):
    _set_mode(dsn, mode)
    setup = SETUP
    if toggle == "unconfirm":
        # call 1 starts confirmed (it has its appointment)
        setup += "UPDATE public.calls SET booking_confirmed = true WHERE id = 1;"
    spec = two_sessions(f"{toggle}+{write}/{mode}", OPERATIONS[toggle], OPERATIONS[write], setup=setup,
                        verify=_claims_were_kept_or_refused(mode == "enforce"),
                        allowed_errors={"s1_commit": ("23Q03",), "s2_commit": ("23Q03",)} if mode == "enforce" else {})
    outcomes = run_and_count(dsn, spec)
    if mode == "enforce" and (toggle, write) in (("confirm", "delete"), ("confirm", "move_out")):
        # Whichever commits second would leave a confirmed call without appointment:
        # in every valid order where both sessions overlap, exactly one commit is refused.
        assert any(o.errors for o in outcomes if o.valid)
