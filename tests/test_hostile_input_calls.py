"""Hostile input through the call <-> appointment rules, in every mode.

Each example switches every call rule to a random mode, writes a call (and maybe
an appointment and an update) built from NULLs, odd Unicode, oversized strings,
vocabulary violations and random JSON, and commits. Every statement and the
commit either succeed or fail the documented way (tests/plugins/hostile.py:
classify); a committed row is then consistent for every rule that was in
correct or enforce mode.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from tests.plugins.calls import call, insert, update
from tests.plugins.hostile import (HOSTILE, MODES, attempt, bigints, commit, hostile_text, json_value, set_modes,
                                   rule_refusals, timestamps, violations, vocabulary)

CALL_RULES = ("call_direction_default", "customer_link_sync", "outcome_flag_sync", "appointment_link_sync",
              "booking_confirmed_requires_appointment")
# Catalog detection rules whose absence the trigger rule guarantees (docs/detection-rules.md).
GUARANTEED_BY = {"call_missing_direction": "call_direction_default", "phantom_booking": "outcome_flag_sync",
                 "link_status_mismatch": "appointment_link_sync",
                 "confirmed_without_appointment": "booking_confirmed_requires_appointment",
                 "made_without_appointment": "booking_confirmed_requires_appointment"}
VOCABULARIES = ("call_direction", "session_outcome", "link_status", "customer_link_method", "appointment_status")

modes = st.fixed_dictionaries({rule: st.sampled_from(MODES) for rule in CALL_RULES})
START = dt.datetime(2031, 1, 1, 9, tzinfo=dt.timezone.utc)
flags = st.one_of(st.none(), st.booleans())


def call_columns(customer_ids: st.SearchStrategy, vocab: dict[str, list[str]]) -> st.SearchStrategy:
    """A random subset of the call's columns with hostile values."""
    return st.fixed_dictionaries({}, optional={
        "direction": hostile_text(vocab["call_direction"], nul=True),
        "session_outcome": hostile_text(vocab["session_outcome"]),
        "appointment_made": flags,
        "booking_confirmed": flags,
        "call_successful": flags,
        "customer_id": customer_ids,
        "customer_link_status": hostile_text(vocab["link_status"]),
        "customer_link_method": hostile_text(vocab["customer_link_method"]),
        "customer_link_confidence": st.one_of(st.none(), st.decimals(-1000, 1000, places=3, allow_nan=False)),
        "customer_linked_at": timestamps,
        "appointment_link_status": hostile_text(vocab["link_status"]),
        "appointment_linked_at": timestamps,
        "retell_call_id": hostile_text(["call_1", "call_2"]),
        "call_type": hostile_text(nul=True),
        "booking_id": hostile_text(["bk-1", "bk-2"]),
        "booking_details": st.one_of(st.none(), json_value.map(Jsonb)),
        "company_id": st.one_of(st.none(), st.just(1), bigints),
    })


def _world(conn) -> tuple[list[int], dict[str, list[str]]]:
    conn.execute("INSERT INTO public.companies (id, name) OVERRIDING SYSTEM VALUE VALUES (1, 'Acme') "
                 "ON CONFLICT DO NOTHING")
    customers = [insert(conn, "customers", company_id=1, name=f"C{i}", email=f"c{i}@example.org") for i in range(2)]
    conn.commit()
    return customers, {name: vocabulary(conn, name) for name in VOCABULARIES}


@pytest.mark.slow
@HOSTILE
@given(data=st.data())
def test_every_call_write_succeeds_consistently_or_fails_the_documented_way(conn, outcomes, data):
    if not hasattr(conn, "_hostile_world"):
        conn._hostile_world = _world(conn)
    customers, vocab = conn._hostile_world
    customer_ids = st.one_of(st.none(), st.sampled_from(customers), bigints)
    rule_modes = data.draw(modes, label="modes")
    # Everything is drawn before any write, so the draws never depend on the database.
    columns = data.draw(call_columns(customer_ids, vocab), label="insert")
    appointment = data.draw(st.none() | st.fixed_dictionaries({
        "status": hostile_text(vocab["appointment_status"]),
        "calcom_v2_booking_id": hostile_text(["bk-1"])}), label="appointment")
    changes = data.draw(call_columns(customer_ids, vocab), label="update")
    set_modes(conn, rule_modes, via_update=data.draw(st.booleans(), label="modes via UPDATE"))

    states = []
    state, call_id = attempt(conn, outcomes, lambda: insert(conn, "calls", **columns))
    states.append(state)
    if call_id is not None:
        if appointment is not None:
            states.append(attempt(conn, outcomes, lambda: insert(
                conn, "appointments", call_id=call_id, starts_at=START, ends_at=START + dt.timedelta(minutes=30),
                **appointment))[0])
        if changes:
            states.append(attempt(conn, outcomes, lambda: update(conn, "calls", call_id, **changes))[0])
    state = commit(conn, outcomes)
    states.append(state)
    if "enforce" not in rule_modes.values():
        # off, alert and correct never refuse a write, except that correct refuses
        # a vocabulary value it cannot repair, like enforce (DESIGN.md §1.2).
        assert not rule_refusals(states, ("23Q02",) if "correct" in rule_modes.values() else ()), (states, rule_modes)
    if state != "commit:ok" or call_id is None:
        return
    assert call(conn, call_id) is not None
    checked = [name for name, rule in GUARANTEED_BY.items() if rule_modes[rule] in ("correct", "enforce")]
    if "appointment_link_status" in columns or "appointment_link_status" in changes:
        # Documented limitation (docs/reliability.md, "Hostile input"): a direct write of a known
        # link status is not recomputed until the next appointment change; the scan reports it.
        checked = [name for name in checked if name != "link_status_mismatch"]
    if "direction" in changes and changes["direction"] is None:
        # Documented (docs/rules/call_direction_default.md): UPDATE ... SET direction = NULL is a
        # deliberate write, left alone; the call_missing_direction scan reports it.
        checked = [name for name in checked if name != "call_missing_direction"]
    assert violations(conn, checked, {("calls", call_id)}) == []
    row = call(conn, call_id)
    if rule_modes["customer_link_sync"] in ("correct", "enforce") and row["customer_id"] is not None:
        assert row["customer_link_status"] == "linked", row
    for column, vocabulary, rule in (("direction", "call_direction", "call_direction_default"),
                                ("session_outcome", "session_outcome", "outcome_flag_sync"),
                                ("customer_link_status", "link_status", "customer_link_sync"),
                                ("customer_link_method", "customer_link_method", "customer_link_sync"),
                                ("appointment_link_status", "link_status", "appointment_link_sync")):
        if rule_modes[rule] in ("correct", "enforce") and row[column] is not None:
            assert row[column] in vocab[vocabulary], (column, row[column])
