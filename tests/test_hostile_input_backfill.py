"""Hostile input to the backfill parser, the circuit breaker and the acting settings.

- Random and malformed ``calls.booking_details`` never crash
  ``dbguard.backfill(conn, 'appointments')``: each confirmed call gets its
  appointment or an entry on the manual review queue.
- Breaker keys, errors and clocks: every call ends in a valid state or a clear error.
- ``dbguard.actor`` / ``dbguard.user_id`` / ``dbguard.reason`` set to anything: writes
  succeed, or fail with 23Q08 (a user id that is not an integer).
"""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

import dbguard
from dbguard import circuit_breaker
from tests.plugins.calls import insert
from tests.plugins.hostile import (ACCEPTED_SQLSTATES, HOSTILE, Outcomes, attempt, classify, hostile_text, json_value, odd_text,
                                   plain_text)

# A booking_details that is nearly right is the interesting case: all keys the parser
# reads, each with a hostile value.
time_text = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31),
                 timezones=st.none() | st.just(dt.timezone.utc)
                 | st.builds(lambda m: dt.timezone(dt.timedelta(minutes=m)), st.integers(-1439, 1439)))
    .map(lambda d: d.isoformat()),
    st.sampled_from(["2031-02-30T10:00", "2031-01-01T25:00:00Z", "9999-12-31T23:59:59+00:00",
                     "0001-01-01T00:00:00-23:59", "2031-01-01", "tomorrow", "", " ", "2031-01-01T10:00:00Z"]),
    st.integers(-(2**63), 2**63), st.floats(allow_nan=False), plain_text, odd_text)
booking_fields = st.fixed_dictionaries({}, optional={
    "starts_at": time_text, "ends_at": time_text,
    "timezone": st.one_of(st.sampled_from(["Europe/Berlin", "UTC", "Mars/Olympus", "../../etc/passwd", "/etc/localtime",
                                           "Europe/Berlin\u200b", "x" * 300, "", ".", "Europe//Berlin"]),
                          plain_text, json_value),
    "service_id": st.one_of(st.sampled_from([1, "1", " 1 ", 10**30, -1, "1e3", "0x1", 1.5]), json_value),
    "service_name": st.one_of(st.sampled_from(["Cut", " cut ", "CUT", "Colour", "Ghost"]), hostile_text()),
    "customer_name": hostile_text(["anonymous", "Unbekannt", "Eve"]),
    "customer_email": hostile_text(["eve@example.org", "EVE@example.org"]),
    "customer_phone": st.one_of(hostile_text(["+49 30 1234567", "unknown"]), st.integers()),
    "calcom_booking_id": st.one_of(hostile_text(["bk-1", "bk-2"]), json_value),
})
# Nearly valid: what a working provider integration writes, with hostile customer data.
good_booking = st.fixed_dictionaries({
    "starts_at": st.sampled_from(["2031-01-01T10:00:00Z", "2031-01-01T10:00:00+01:00", "2031-03-30T02:30:00"]),
    "timezone": st.sampled_from(["Europe/Berlin", "UTC"]),
    "service_name": st.sampled_from(["Cut", " cut ", "CUT"]),
}, optional={
    "ends_at": st.sampled_from(["2031-01-01T10:30:00Z", "2031-01-01T09:00:00Z", "2031-01-01T10:00:00Z"]),
    "customer_name": hostile_text(["anonymous", "Unbekannt", "Eve"]),
    "customer_email": hostile_text(["eve@example.org", "EVE@example.org"]),
    "customer_phone": hostile_text(["+49 30 1234567", "unknown", "030/123 4567"]),
    "calcom_booking_id": hostile_text(["bk-1", "bk-2"]),
})
booking_details = st.one_of(
    good_booking, good_booking, good_booking.map(lambda b: {"booking": b}),
    json_value,
    booking_fields,
    booking_fields.map(lambda b: {"booking": b}),
    st.tuples(booking_fields, st.one_of(booking_fields, json_value)).map(lambda t: {**t[0], "booking": t[1]}),
    booking_fields.map(json.dumps),             # double-encoded JSON, as legacy writers did
    st.sampled_from(["{not json", "", "[]", "null", '"\\"quoted\\""']),
    st.integers(-(2**80), 2**80).map(lambda n: {"starts_at": "2031-01-01T10:00:00Z", "service_id": n}),
)


@pytest.mark.slow
@HOSTILE
@given(details=st.lists(st.tuples(booking_details, st.one_of(st.none(), hostile_text(["bk-1", "bk-3"]))),
                        min_size=1, max_size=4),
       dry_run=st.booleans())
def test_malformed_booking_details_never_crash_the_backfill(conn, outcomes, details, dry_run):
    if not getattr(conn, "_hostile_services", False):
        conn.execute("INSERT INTO public.companies (id, name) OVERRIDING SYSTEM VALUE VALUES (1, 'Acme')")
        conn.execute("INSERT INTO public.services (id, company_id, name, duration_minutes) OVERRIDING SYSTEM VALUE "
                     "VALUES (1, 1, 'Cut', 30), (2, 1, 'Colour', NULL), (3, 1, 'colour', 60)")
        conn.commit()
        conn._hostile_services = True
    # Legacy rows: written before the rules (the commit-time check would refuse them).
    dbguard.set_mode(conn, "booking_confirmed_requires_appointment", "off")
    # Out of this example's way: only its own calls are backfill candidates.
    conn.execute("UPDATE public.calls SET booking_confirmed = false WHERE booking_confirmed")
    conn.commit()
    calls = []
    for value, booking_id in details:
        state, call_id = attempt(conn, outcomes, lambda: insert(
            conn, "calls", company_id=1, booking_confirmed=True, booking_id=booking_id,
            booking_details=Jsonb(value)))
        if call_id is not None:
            calls.append(call_id)
    conn.commit()
    dbguard.set_mode(conn, "booking_confirmed_requires_appointment", "correct")
    conn.commit()

    result = dbguard.backfill(conn, "appointments", dry_run=dry_run, batch_size=2)  # must not raise
    for outcome in ("created", "review", "skipped", "errors"):
        outcomes[f"backfill:{outcome}"] += getattr(result, outcome)
    # A row the database refuses (e.g. a booking id of several KB: 54000, index row too big)
    # is an "error" of that row only; it is queued for review (checked below). Never a crash:
    for problem in result.problems:
        if problem["outcome"] == "errors":
            state = problem["detail"].split(" ", 1)[0]
            assert state in ACCEPTED_SQLSTATES or (state == "54000" and "index row" in problem["detail"]), problem
    if dry_run:
        assert result.created == 0 or conn.execute("SELECT count(*) FROM public.appointments WHERE call_id = ANY(%s)",
                                                    (calls,)).fetchone()[0] == 0
        calls = []
    for call_id in calls:
        has_appointment = conn.execute("SELECT count(*) FROM public.appointments WHERE call_id = %s",
                                       (call_id,)).fetchone()[0]
        queued = conn.execute("SELECT count(*) FROM dbguard.manual_review_queue WHERE call_id = %s",
                              (call_id,)).fetchone()[0]
        holder = any(p["id"] == call_id and "already carries booking id" in (p["detail"] or "")
                     for p in result.problems)
        assert has_appointment or queued or holder, call_id


def _breaker(conn, outcomes: Outcomes, action):
    try:
        return outcomes.record("ok"), action()
    except dbguard.DbguardError as exc:
        if not conn.autocommit:
            conn.rollback()
        return outcomes.record("DbguardError", exc), None
    except psycopg.Error as exc:
        conn.rollback()
        return outcomes.record(classify(exc), exc), None


clock = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(9999, 12, 30),
                                          timezones=st.just(dt.timezone.utc)))


@HOSTILE
@given(key=st.one_of(hostile_text(["calcom", "retell"], nul=True), st.just("   ")),
       steps=st.lists(st.tuples(st.sampled_from(["allow", "failure", "success", "configure", "reset"]),
                                hostile_text(nul=True), clock, st.integers(-3, 5)), min_size=1, max_size=8))
def test_breaker_with_hostile_keys_errors_and_clocks_stays_valid(conn, outcomes, key, steps):
    conn.commit()
    for action, error, now, number in steps:
        call = {"allow": lambda: circuit_breaker.allow(conn, key, now),
                "failure": lambda: circuit_breaker.record_failure(conn, key, error, now),
                "success": lambda: circuit_breaker.record_success(conn, key, now),
                "configure": lambda: circuit_breaker.breaker_configure(conn, key, failure_threshold=number,
                                                                       cooldown=error),
                "reset": lambda: circuit_breaker.breaker_reset(conn, key)}[action]
        _breaker(conn, outcomes, call)
    for state in conn.execute("SELECT state, failure_count, success_count FROM dbguard.circuit_breaker_states"):
        assert state[0] in ("closed", "open", "half_open") and state[1] >= 0 and state[2] >= 0
    conn.rollback()


@HOSTILE
@given(settings=st.fixed_dictionaries({}, optional={
    "actor": hostile_text(["admin_user", "system_cron", "customer"]),
    "source": hostile_text(["backfill", "retell"]),
    "reason": hostile_text(),
    "user_id": st.one_of(st.integers(-(2**70), 2**70).map(str), st.sampled_from(["", " 1", "1.0", "0x1", "١٢"]),
                         plain_text, odd_text)}),
       nul=st.booleans())
def test_any_acting_setting_gives_a_write_or_dg008(conn, outcomes, settings, nul):
    if nul:
        settings = {**settings, "reason": "a\x00b"}

    def write():
        for name, value in settings.items():
            conn.execute("SELECT set_config(%s, %s, true)", (f"dbguard.{name}", value))
        conn.execute("SELECT dbguard.acting_user_id()")
        call_id = insert(conn, "calls", direction="sideways", session_outcome="Appointment_Booked ")
        return insert(conn, "appointments", call_id=call_id, company_id=None,
                      starts_at=dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc),
                      ends_at=dt.datetime(2031, 1, 1, 1, tzinfo=dt.timezone.utc), status="cancelled")

    state, _ = attempt(conn, outcomes, write)
    conn.rollback()
    user_id = settings.get("user_id")
    if state == "ok" and user_id not in (None, ""):
        assert int(user_id.strip()) == int(user_id.strip())  # an integer was accepted, nothing else
    if state == "23Q08":
        assert user_id is not None
