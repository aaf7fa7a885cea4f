"""Hostile input through every rule on appointments and host mappings, in every mode,
and malformed host/booking JSON through resolve_staff_for_host / assign_staff_from_booking.

The set of rules is read from dbguard.installed_rules, so rules added later (the
appointment lifecycle rules) are switched through all modes as well.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

import dbguard
from tests.plugins.calls import insert, row, update
from tests.plugins.hostile import (HOSTILE, MODES, NOT_FOUND, SHAPE_ERROR, attempt, bigints, commit, hostile_text, json_value,
                                   odd_text, plain_text, rule_refusals, set_modes, timestamps, violations,
                                   vocabulary)

# Catalog detection rule -> the trigger rules that together guarantee it finds nothing
# (for the entity written) when all of them are in correct or enforce mode.
GUARANTEED_BY = {
    "cross_tenant_staff": ("staff_tenant_isolation",),
    "link_status_mismatch": ("appointment_link_sync",),
    "missing_lifecycle_metadata": ("creation_metadata", "cancellation_metadata", "reschedule_metadata"),
    "pii_in_metadata": ("pii_redaction",),
    "lead_rollup_drift": ("lead_rollup",),
}
START = dt.datetime(2031, 3, 2, 10, tzinfo=dt.timezone.utc)
# Draws must not depend on the database, so the world has fixed ids (a fresh database per test).
COMPANIES = (1, 2)
HOSTS = (101, 102, 103)


class World:
    def __init__(self, conn):
        self.conn = conn
        for company in COMPANIES:
            conn.execute("INSERT INTO public.companies (id, name) OVERRIDING SYSTEM VALUE VALUES (%s, %s)",
                         (company, f"Company {company}"))
        conn.execute("SELECT set_config('dbguard.actor', 'admin_user', true), set_config('dbguard.user_id', '1', true)")
        self.staff = [self._staff(1, "Anna", "anna@one.example"), self._staff(2, "Ben", "ben@two.example"),
                      self._staff(None, "Nobody", None), self._staff(1, "Old", "old@one.example", active=False)]
        for host, staff, company in zip(HOSTS, self.staff, (1, 2, None)):
            insert(conn, "calcom_host_mappings", calcom_host_id=host, staff_id=staff, company_id=company,
                   mapping_source="manual", confidence_score=100)
        self.rules = [r[0] for r in conn.execute("SELECT rule FROM dbguard.installed_rules ORDER BY rule")]
        self.vocab = {name: vocabulary(conn, name) for name in
                      ("appointment_status", "booking_source", "actor", "provider", "mapping_source")}
        conn.commit()

    def _staff(self, company, name, email, active=True):
        return self.conn.execute("INSERT INTO public.staff (company_id, name, email, is_active) VALUES (%s, %s, %s, %s) "
                                 "RETURNING id", (company, name, email, active)).fetchone()[0]


@pytest.fixture
def world(conn) -> World:
    return World(conn)


def staff_ids(world: World) -> st.SearchStrategy:
    return st.one_of(st.none(), st.sampled_from(world.staff), st.uuids(),
                     st.sampled_from(["not-a-uuid", "", "\u202e", "00000000-0000-0000-0000-00000000000g"]))


def appointment_columns(world: World, predecessors: st.SearchStrategy) -> st.SearchStrategy:
    vocab = world.vocab
    return st.fixed_dictionaries({}, optional={
        "company_id": st.one_of(st.none(), st.sampled_from(COMPANIES), bigints),
        "staff_id": staff_ids(world),
        "calcom_host_id": st.one_of(st.none(), st.sampled_from(HOSTS), st.integers(-(2**40), 2**40)),
        "status": hostile_text(vocab["appointment_status"], nul=True),
        "source": hostile_text(vocab["booking_source"]),
        "booking_source": hostile_text(vocab["booking_source"]),
        "created_by": hostile_text(vocab["actor"]),
        "provider": hostile_text(vocab["provider"]),
        "cancelled_by": hostile_text(vocab["actor"]),
        "rescheduled_by": hostile_text(vocab["actor"]),
        "cancellation_reason": hostile_text(),
        "cancelled_at": timestamps,
        "rescheduled_at": timestamps,
        "cancelled_by_user_id": bigints,
        "rescheduled_from_id": predecessors,
        "starts_at": timestamps,
        "ends_at": timestamps,
        "booking_timezone": hostile_text(["Europe/Berlin", "UTC"]),
        "calcom_v2_booking_id": hostile_text(["bk-1"]),
        "notes": hostile_text(nul=True),
        "metadata": st.one_of(st.none(), json_value.map(Jsonb),
                              st.sampled_from([{"email": "a@b.example"}, {"phone": "+49 30 1234567"},
                                               {"attendee": {"email": "X@Y.example", "name": "\u202eEve"}}]
                                              ).map(Jsonb)),
    })


@pytest.mark.slow
@HOSTILE
@given(data=st.data())
def test_every_appointment_write_succeeds_consistently_or_fails_the_documented_way(conn, world, outcomes, data):
    rule_modes = data.draw(st.fixed_dictionaries({r: st.sampled_from(MODES) for r in world.rules}), label="modes")
    with_call = data.draw(st.booleans(), label="with call")
    with_lead = data.draw(st.booleans(), label="with lead")
    predecessors = st.one_of(st.none(), st.just("previous"), bigints)
    columns = data.draw(appointment_columns(world, predecessors), label="insert")
    changes = data.draw(appointment_columns(world, predecessors), label="update")
    acting = data.draw(st.fixed_dictionaries({}, optional={
        "actor": hostile_text(world.vocab["actor"], nul=False), "source": hostile_text(nul=False),
        "user_id": st.one_of(st.sampled_from(["1", "-5", "9223372036854775808", "x", " 7 "]), odd_text),
        "reason": hostile_text(nul=False)}), label="acting")
    delete = data.draw(st.booleans(), label="delete afterwards")
    set_modes(conn, rule_modes, via_update=data.draw(st.booleans(), label="modes via UPDATE"))

    previous = conn.execute("SELECT max(id) FROM public.appointments").fetchone()[0]
    states = []

    def resolve(cols):
        cols = dict(cols)
        if cols.get("rescheduled_from_id") == "previous":
            cols["rescheduled_from_id"] = previous
        return cols

    def write():
        conn.execute("SELECT set_config('dbguard.' || k, v, true) FROM jsonb_each_text(%s) AS e(k, v)",
                     (Jsonb(acting),))
        links = {"call_id": insert(conn, "calls") if with_call else None,
                 "lead_id": insert(conn, "leads", company_id=1) if with_lead else None}
        return insert(conn, "appointments", **({"starts_at": START, "ends_at": START + dt.timedelta(hours=1)}
                                               | links | resolve(columns)))

    state, appointment_id = attempt(conn, outcomes, write)
    states.append(state)
    if appointment_id is not None and changes:
        states.append(attempt(conn, outcomes, lambda: update(conn, "appointments", appointment_id,
                                                             **resolve(changes)))[0])
    appointment = None if appointment_id is None else row(conn, "appointments", appointment_id)
    if appointment is not None and delete:
        states.append(attempt(conn, outcomes, lambda: conn.execute("DELETE FROM public.appointments WHERE id = %s",
                                                                   (appointment_id,)))[0])
    states.append(commit(conn, outcomes))
    if "enforce" not in rule_modes.values():
        assert not rule_refusals(states, ("23Q08",) + (("23Q02",) if "correct" in rule_modes.values() else ())), \
            (states, rule_modes)
    if states[-1] != "commit:ok" or appointment_id is None:
        return
    if row(conn, "appointments", appointment_id) is None:
        # Deleted: what it leaves behind (its call, its lead) must still be consistent.
        entities = {(table, appointment[key]) for table, key in (("calls", "call_id"), ("leads", "lead_id"))
                    if appointment[key] is not None}
        checked = [name for name in ("link_status_mismatch", "lead_rollup_drift")
                   if all(rule_modes.get(r) in ("correct", "enforce") for r in GUARANTEED_BY[name])]
        assert violations(conn, checked, entities) == []
        return
    appointment = row(conn, "appointments", appointment_id)
    entities = {("appointments", appointment_id)} | {(table, appointment[key]) for table, key in
                                                     (("calls", "call_id"), ("leads", "lead_id"))
                                                     if appointment[key] is not None}
    checked = [name for name, rules in GUARANTEED_BY.items()
               if all(r in rule_modes for r in rules) and all(rule_modes[r] in ("correct", "enforce") for r in rules)]
    staff_company = None if appointment["staff_id"] is None else conn.execute(
        "SELECT company_id FROM public.staff WHERE id = %s", (appointment["staff_id"],)).fetchone()[0]
    if appointment["staff_id"] is not None and None in (staff_company, appointment["company_id"]):
        # Documented (docs/rules/staff_tenant_isolation.md): a NULL company on either side is
        # not judged by the trigger; the cross_tenant_staff scan reports it.
        checked = [name for name in checked if name != "cross_tenant_staff"]
    if any(changes.get(c, "unset") is None for c in ("created_by", "booking_source", "rescheduled_by")) \
            or changes.get("rescheduled_at") is not None \
            or (columns.get("rescheduled_at") is not None and columns.get("rescheduled_by") is None):
        # Known gap (docs/reliability.md, "Hostile input"): creation_metadata runs on INSERT only and
        # reschedule_metadata only when starts_at moves, so an UPDATE that blanks created_by /
        # booking_source / rescheduled_by, or sets rescheduled_at alone (also on INSERT), is left
        # as written; the missing_lifecycle_metadata scan reports it.
        outcomes["exempt:missing_lifecycle_metadata"] += 1
        checked = [name for name in checked if name != "missing_lifecycle_metadata"]
    assert violations(conn, checked, entities) == []
    if rule_modes.get("appointment_history", "off") != "off":
        created = conn.execute("SELECT count(*) FROM public.appointment_events WHERE appointment_id = %s "
                               "AND event = 'created'", (appointment_id,)).fetchone()[0]
        assert created == 1
    if rule_modes.get("pii_redaction") in ("correct", "enforce") and appointment["metadata"] is not None:
        text = str(appointment["metadata"])
        assert "a@b.example" not in text and "X@Y.example" not in text and "+49 30 1234567" not in text
    if appointment["staff_id"] is not None and rule_modes.get("staff_tenant_isolation") in ("correct", "enforce") \
            and appointment["company_id"] is not None:
        assert staff_company in (None, appointment["company_id"])


mapping_columns = st.fixed_dictionaries({}, optional={
    "calcom_host_id": st.one_of(st.none(), st.integers(-(2**40), 2**40), st.sampled_from(HOSTS)),
    "company_id": st.one_of(st.none(), st.sampled_from(COMPANIES), bigints),
    "calcom_name": hostile_text(nul=True), "calcom_email": hostile_text(["anna@one.example"]),
    "calcom_username": hostile_text(), "calcom_timezone": hostile_text(["Europe/Berlin"]),
    "mapping_source": hostile_text(["manual", "auto_email", "admin"]),
    "confidence_score": st.one_of(st.none(), st.integers(-40000, 40000)),
    "is_active": st.booleans(), "metadata": st.one_of(st.none(), json_value.map(Jsonb)),
})


@HOSTILE
@given(data=st.data())
def test_every_host_mapping_write_succeeds_audited_or_fails_the_documented_way(conn, world, outcomes, data):
    rule_modes = data.draw(st.fixed_dictionaries({r: st.sampled_from(MODES) for r in
                                                  ("staff_tenant_isolation", "host_mapping_audit")}), label="modes")
    staff = data.draw(staff_ids(world), label="staff")
    columns = data.draw(mapping_columns, label="insert")
    changes = data.draw(mapping_columns, label="update")
    attributed = data.draw(st.booleans(), label="attributed")
    set_modes(conn, rule_modes)

    def write():
        if attributed:
            conn.execute("SELECT set_config('dbguard.actor', 'admin_user', true)")
        mapping_id = insert(conn, "calcom_host_mappings", staff_id=staff, **columns)
        if changes:
            update(conn, "calcom_host_mappings", mapping_id, **changes)
        return mapping_id

    states = [attempt(conn, outcomes, write)]
    mapping_id = states[0][1]
    states.append((commit(conn, outcomes), None))
    if rule_modes["host_mapping_audit"] != "enforce" and rule_modes["staff_tenant_isolation"] != "enforce":
        assert not rule_refusals([s for s, _ in states]), states
    if mapping_id is None or states[-1][0] != "commit:ok":
        return
    mapping = row(conn, "calcom_host_mappings", mapping_id)
    if rule_modes["host_mapping_audit"] != "off":
        audited = conn.execute("SELECT count(*) FROM public.calcom_host_mapping_audits WHERE mapping_id = %s",
                               (mapping_id,)).fetchone()[0]
        assert audited >= 1
    if rule_modes["staff_tenant_isolation"] in ("correct", "enforce") and mapping["staff_id"] is not None \
            and mapping["is_active"] and mapping["company_id"] is not None:
        staff_company = conn.execute("SELECT company_id FROM public.staff WHERE id = %s",
                                     (mapping["staff_id"],)).fetchone()[0]
        assert staff_company in (None, mapping["company_id"])


host_keys = st.sampled_from(["id", "email", "name", "username", "timeZone", "ID", "", "\u202eid", "hosts"])
host_value = st.one_of(json_value, st.sampled_from(HOSTS), st.integers(-(2**70), 2**70),
                       st.sampled_from(["anna@one.example", "ANNA@ONE.EXAMPLE ", "ben@two.example", "Anna", "101"]))
# Well-formed hosts with hostile values, so that matching itself is exercised.
good_host = st.fixed_dictionaries({"id": st.sampled_from(HOSTS) | st.integers(1, 2**31 - 1)}, optional={
    "email": hostile_text(["anna@one.example", " ANNA@one.example", "ben@two.example", "old@one.example"]),
    "name": hostile_text(["Anna", "anna ", "Ben", "Nobody"]),
    "username": hostile_text(), "timeZone": hostile_text(["Europe/Berlin"])})
# What a provider sends on a good day: known ids, addresses in odd case and blanks.
clean_host = st.fixed_dictionaries({"id": st.sampled_from(HOSTS) | st.integers(1, 2**31 - 1), "email": st.sampled_from(
    ["anna@one.example", " ANNA@one.example", "ben@two.example", "old@one.example", "new@one.example"])})
host_json = st.one_of(json_value, st.dictionaries(host_keys, host_value, max_size=5), good_host, clean_host)
# JSON text as received from a provider, well-formed or not.
host_text = st.one_of(host_json.map(json.dumps),
                      st.sampled_from(['{"id": 101', "{'id': 101}", '{"id": 1e400}', '{"id": "\\u0000"}',
                                       '{"email": "\\ud800"}', "", "null", "[]", '{"id": 101, "id": 102}',
                                       '{"id": -0}', '{"id": 101.0}', '{"id": 2147483648}']),
                      plain_text, odd_text)


@HOSTILE
@given(data=st.data())
def test_malformed_host_json_resolves_to_own_staff_or_a_clear_error(conn, world, outcomes, data):
    company = data.draw(st.one_of(st.sampled_from((None, *COMPANIES, *COMPANIES)), bigints), label="company")
    host = data.draw(st.one_of(host_json, host_text, clean_host, clean_host), label="host")
    state, staff = attempt(conn, outcomes, lambda: dbguard.resolve_staff_for_host(conn, company, host),
                           accept=SHAPE_ERROR)
    conn.commit()
    if staff is not None:
        staff_company, active = conn.execute("SELECT company_id, is_active FROM public.staff WHERE id = %s",
                                             (staff,)).fetchone()
        assert staff_company == company and active


@HOSTILE
@given(data=st.data())
def test_malformed_booking_json_assigns_own_staff_or_gives_a_clear_error(conn, world, outcomes, data):
    company = data.draw(st.sampled_from((None, *COMPANIES, *COMPANIES)), label="company")
    booking = data.draw(st.one_of(
        json_value, host_text,
        st.fixed_dictionaries({"hosts": st.one_of(host_json, st.lists(st.one_of(host_json, host_text), max_size=3))}),
        st.fixed_dictionaries({"hosts": st.lists(host_json, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"hosts": st.lists(good_host, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"hosts": st.lists(clean_host, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"hosts": st.lists(clean_host, min_size=1, max_size=3)}),
        st.lists(host_json, max_size=2).map(lambda hosts: {"hosts": hosts, "uid": "x"})), label="booking")
    target = data.draw(st.sampled_from(["appointment", "missing", "null"]), label="appointment")
    appointment_id = insert(conn, "appointments", company_id=company, starts_at=START,
                            ends_at=START + dt.timedelta(hours=1))
    conn.commit()
    given_id = {"appointment": appointment_id, "missing": appointment_id + 10**9, "null": None}[target]
    state, staff = attempt(conn, outcomes, lambda: dbguard.assign_staff_from_booking(conn, given_id, booking),
                           accept=SHAPE_ERROR | NOT_FOUND)
    conn.commit()
    stored = row(conn, "appointments", appointment_id)["staff_id"]
    if target != "appointment" or state != "ok":
        assert stored is None
        return
    assert staff == stored
    if stored is not None:
        assert conn.execute("SELECT company_id FROM public.staff WHERE id = %s", (stored,)).fetchone()[0] == company


# Strings in which e-mail addresses and phone numbers hide between odd characters.
pii_piece = st.sampled_from(["eve@example.org", "E.V.E+tag@sub.example.co.uk", "+49 151 2345 6789", "030 1234567",
                             "(555) 123-4567", "0049 30 1234567", "2031-03-10T09:00:00+01:00", "cal_123456789",
                             "00123456", "01069", "12.50"])
# Joined by blanks: a phone number is only redacted as a whole token (documented).
pii_text = st.lists(st.one_of(pii_piece, odd_text, plain_text), min_size=1, max_size=5).map(" ".join)
pii_json = st.recursive(st.one_of(json_value, pii_text, st.integers(10**6, 10**12)),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                            st.sampled_from(["phone", "customerPhone", "tel", "email", "note", "attendee", "\u202eemail"])
                            | plain_text, inner, max_size=4), max_leaves=15)


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return "leaf"


@pytest.mark.commits
@HOSTILE
@given(value=pii_json)
def test_redaction_of_any_json_keeps_its_shape_and_leaves_no_address(conn, outcomes, value):
    state, redacted = attempt(conn, outcomes, lambda: conn.execute("SELECT dbguard.redact_pii(%s)",
                                                                  (Jsonb(value),)).fetchone()[0])
    conn.rollback()
    if state != "ok":
        return
    assert _shape(redacted) == _shape(value)
    text = json.dumps(redacted, ensure_ascii=False)
    assert "eve@example.org" not in text and "E.V.E+tag@sub.example.co.uk" not in text
    # A phone number is redacted as a whole token: nothing of [\w-] right before or after.
    assert not re.search(r"(?<![\w-])\+49 151 2345 6789(?![\w-])", text), text


@HOSTILE
@given(value=pii_json, mode=st.sampled_from(MODES))
def test_event_details_with_hostile_json_are_stored_redacted_or_refused_in_enforce(conn, outcomes, value, mode):
    set_modes(conn, {"pii_redaction": mode})
    state, event_id = attempt(conn, outcomes, lambda: insert(conn, "appointment_events", event="note",
                                                             details=Jsonb(value)))
    conn.commit()
    if mode != "enforce":
        assert state == "ok", state
    if state != "ok" or mode in ("off", "alert"):
        return
    text = json.dumps(row(conn, "appointment_events", event_id)["details"], ensure_ascii=False)
    assert "eve@example.org" not in text and "E.V.E+tag@sub.example.co.uk" not in text


# pii_redaction skips dbguard.redact_pii when a quick test of the JSON says
# nothing in it could be PII; that test must never let through what a full
# pass would replace. Control characters are escaped in JSON text (\u0001),
# so a phone right after one is the case a test on the raw text would miss.
tricky_piece = st.sampled_from(["\u00010301234567", "\n+49 151 2345 6789", "\t(555) 123-4567", "\"030 1234567\"",
                                "\\0049 30 1234567", "2031-03-10T09:00:05.123456+01:00", "x@y.zz"])
tricky_json = st.recursive(st.one_of(pii_json, tricky_piece, st.lists(tricky_piece, max_size=3).map("".join)),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
                           max_leaves=8)


@HOSTILE
@given(value=tricky_json)
def test_stored_details_equal_a_full_redaction_pass(conn, outcomes, value):
    state, event_id = attempt(conn, outcomes, lambda: insert(conn, "appointment_events", event="note",
                                                             details=Jsonb(value)))
    conn.commit()
    if state != "ok":
        return
    stored = row(conn, "appointment_events", event_id)["details"]
    assert stored == conn.execute("SELECT dbguard.redact_pii(%s)", (Jsonb(value),)).fetchone()[0]


@pytest.mark.parametrize("text", ["\u00010301234567", "a\n030 1234567", "\"+49 151 2345 6789\""])
def test_a_phone_after_an_escaped_character_is_still_redacted(conn, text):
    event_id = insert(conn, "appointment_events", event="note", details=Jsonb({"note": text}))
    assert "[phone]" in row(conn, "appointment_events", event_id)["details"]["note"]
