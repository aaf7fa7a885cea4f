"""A row that cannot break a rule fires no rule function,
and the shortcuts that make this so never change what is stored.

Function calls are counted with pg_stat_get_xact_function_calls, which sees the
calls made so far in the current transaction (track_functions = 'pl')."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from psycopg.errors import IntegrityError
from psycopg.types.json import Jsonb

from dbguard.errors import PinnedVocabularyCode
from dbguard.repeatable import Rule

from .plugins.calls import call, new_appointment, new_call, update

HALF_HOUR = dt.timedelta(minutes=30)
# The calls rules call_direction_default, customer_link_sync and outcome_flag_sync are compiled
# into one function without a WHEN clause: it is called for every call, and its fast-path tests
# keep a plain call away from every rule's code, rare paths included.
RULE_FUNCTIONS = ["tg_appointments__link_sync"]
RARE_PATHS = ["vocabulary_value", "raise_alert", "rule_violation"]


def test_a_plain_call_fires_no_rule_function(conn, counted):
    call_id = new_call(conn, direction="inbound")
    update(conn, "calls", call_id, session_outcome="appointment_booked", appointment_made=True)
    assert {f: counted(f) for f in RULE_FUNCTIONS + RARE_PATHS} == dict.fromkeys(RULE_FUNCTIONS + RARE_PATHS, 0)
    stored = call(conn, call_id)
    assert (stored["customer_link_status"], stored["appointment_link_status"]) == ("unlinked", "unlinked")


@pytest.mark.parametrize("cols, fired", [
    ({"direction": None}, "tg_calls__before_row"),
    ({"direction": " Outbound"}, "vocabulary_value"),
    ({"customer_link_status": "linked"}, "rule_violation"),
    ({"customer_link_status": "bogus"}, "vocabulary_value"),
    ({"customer_link_method": "bogus"}, "vocabulary_value"),
    ({"appointment_made": True, "session_outcome": "voicemail"}, "rule_violation"),
    ({"session_outcome": "bogus"}, "vocabulary_value"),
    ({"appointment_link_status": None}, "tg_appointments__link_sync"),
    ({"appointment_link_status": "creation_failed"}, "tg_appointments__link_sync"),
])
def test_a_call_the_rule_must_look_at_still_fires_it(conn, counted, cols, fired):
    try:
        new_call(conn, **({"direction": "inbound"} | cols))
    except IntegrityError as refused:   # a code correct mode cannot repair: refused by the rule
        assert refused.sqlstate.startswith("23Q")
        return
    assert counted(fired) == 1


@pytest.mark.parametrize("outcome", [None, "appointment_booked", "voicemail"])
@pytest.mark.parametrize("made", [True, False])
def test_outcome_flag_sync_fast_path_is_taken_exactly_when_the_flags_agree(conn, outcome, made):
    # The fragment's fast path (its "insert when") against the rule's own definition of agreement.
    fast_path = next(f.insert_when for f in Rule.load("outcome_flag_sync").fragments)
    runs = conn.execute(f"SELECT {fast_path.replace('NEW.', 'n.')} FROM (SELECT %s::text AS session_outcome, "
                        "%s::boolean AS appointment_made) n", (outcome, made)).fetchone()[0]
    agree = (outcome, made) in {(None, False), ("appointment_booked", True)}
    assert runs is (not agree)


def test_the_column_defaults_are_what_the_rules_would_write(conn):
    conn.execute("ALTER TABLE public.calls DISABLE TRIGGER USER")
    stored = call(conn, new_call(conn))
    assert (stored["customer_link_status"], stored["appointment_link_status"]) == ("unlinked", "unlinked")


def test_every_code_a_calls_when_clause_names_is_pinned(conn):
    defs = [r[0] for r in conn.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'public.calls'::regclass "
        "AND tgname LIKE 'dbguard%' AND tgqual IS NOT NULL")]
    # Setting names (current_setting('dbguard.linking_call')) are not codes.
    clauses = [re.sub(r"current_setting\('[^']*'::text", "", d.split(" WHEN ", 1)[1]) for d in defs]
    named = {code for c in clauses for code in re.findall(r"'([^']*)'::text", c)}
    # and the fast paths of the compiled rules, tested in their function instead of a WHEN clause
    fast_paths = [c for row in conn.execute(
        "SELECT insert_when, update_when, delete_when FROM dbguard.rule_fragments "
        "WHERE table_name = 'public.calls'::regclass") for c in row if c]
    assert fast_paths
    named |= {code for c in fast_paths for code in re.findall(r"'([^']*)'", c)}
    pinned = {r[0] for r in conn.execute("SELECT code FROM dbguard.vocabularies WHERE pinned")}
    assert named and named <= pinned, named - pinned


def test_a_dba_added_booking_source_still_passes_the_vocabulary_query(conn):
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', 'kiosk')")
    appointment = new_appointment(conn, None, status="scheduled", booking_source="kiosk", created_by="staff_user")
    stored = conn.execute("SELECT booking_source, created_by FROM public.appointments WHERE id = %s",
                          (appointment,)).fetchone()
    assert stored == ("kiosk", "staff_user")


@pytest.mark.parametrize("statement", [
    "DELETE FROM dbguard.vocabularies WHERE vocabulary = 'link_status' AND code = 'unlinked'",
    "UPDATE dbguard.vocabularies SET code = 'in' WHERE vocabulary = 'call_direction' AND code = 'inbound'",
    "UPDATE dbguard.vocabularies SET pinned = false WHERE vocabulary = 'session_outcome' AND code = 'appointment_booked'",
    "TRUNCATE dbguard.vocabularies CASCADE",
    "DELETE FROM dbguard.vocabularies WHERE vocabulary = 'booking_source' AND code = 'retell_webhook'",
    "UPDATE dbguard.vocabularies SET code = 'ai' WHERE vocabulary = 'actor' AND code = 'retell_ai'",
])
def test_a_pinned_vocabulary_code_cannot_be_removed(conn, statement):
    with pytest.raises(PinnedVocabularyCode) as err:
        conn.execute(statement)
    assert "pinned" in err.value.diag.message_primary
    assert "WHEN clause" in err.value.diag.message_detail and "list of codes" in err.value.diag.message_detail
    assert "INSERT" in err.value.diag.message_hint


def test_other_codes_stay_editable(conn):
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('call_direction', 'internal')")
    conn.execute("UPDATE dbguard.vocabularies SET description = 'renamed' WHERE vocabulary = 'call_direction'")
    conn.execute("DELETE FROM dbguard.vocabularies WHERE vocabulary = 'session_outcome' AND code = 'voicemail'")
    assert conn.execute("DELETE FROM dbguard.vocabularies WHERE code = 'internal'").rowcount == 1


def _lead(conn) -> int:
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Praxis') RETURNING id").fetchone()[0]
    return conn.execute("INSERT INTO public.leads (company_id, name) VALUES (%s, 'L') RETURNING id",
                        (company,)).fetchone()[0]


def _rollup(conn, lead: int) -> tuple:
    # lead_rollup recounts at commit; IMMEDIATE runs this transaction's step now.
    conn.execute("SET CONSTRAINTS dbguard_701_lead_rollup_at_commit IMMEDIATE")
    return conn.execute("SELECT appointment_id, appointment_start_at FROM public.leads WHERE id = %s",
                        (lead,)).fetchone()


def _recount_differs(conn, lead: int) -> bool:
    # refresh_lead_rollup(lead, false) recounts from every appointment of the lead and only compares.
    return conn.execute("SELECT dbguard.refresh_lead_rollup(%s, false)", (lead,)).fetchone()[0]


def test_a_transaction_recounts_each_lead_it_touched_once_at_commit(conn, counted):
    lead, other_lead = _lead(conn), _lead(conn)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    first = new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=soon, ends_at=soon + HALF_HOUR)
    later = soon + dt.timedelta(days=5)
    new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=later, ends_at=later + HALF_HOUR)
    new_appointment(conn, None, lead_id=lead, status="no_show", starts_at=soon, ends_at=soon + HALF_HOUR)
    new_appointment(conn, None, lead_id=other_lead, status="scheduled", starts_at=later, ends_at=later + HALF_HOUR)
    assert counted("refresh_locked_lead_rollup") == 0 and counted("lead_rollup_step") == 0
    assert _rollup(conn, lead) == (first, soon)
    assert counted("refresh_locked_lead_rollup") == 2 and counted("lead_rollup_step") == 1
    assert _recount_differs(conn, lead) is False and _recount_differs(conn, other_lead) is False


def test_a_rollup_written_while_the_rule_was_off_is_recounted_not_trusted_when_it_names_no_primary(conn, counted, set_mode):
    lead = _lead(conn)
    conn.commit()
    set_mode("lead_rollup", "off")
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    hidden = new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=soon, ends_at=soon + HALF_HOUR)
    conn.commit()
    set_mode("lead_rollup", "correct")
    later = soon + dt.timedelta(days=3)
    new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=later, ends_at=later + HALF_HOUR)
    assert _rollup(conn, lead) == (hidden, soon)


def test_cancelling_another_appointment_leaves_the_rollup_and_cancelling_the_primary_moves_it(conn):
    lead = _lead(conn)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    later = soon + dt.timedelta(days=5)
    primary = new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=soon, ends_at=soon + HALF_HOUR)
    other = new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=later, ends_at=later + HALF_HOUR)
    update(conn, "appointments", other, status="cancelled")
    assert _rollup(conn, lead) == (primary, soon)
    update(conn, "appointments", primary, status="cancelled")
    # Both cancelled: the latest cancelled one is primary.
    assert _rollup(conn, lead) == (other, later)


def test_a_tie_with_the_primary_goes_to_the_highest_id(conn):
    lead = _lead(conn)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=soon, ends_at=soon + HALF_HOUR)
    twin = new_appointment(conn, None, lead_id=lead, status="scheduled", starts_at=soon, ends_at=soon + HALF_HOUR)
    assert _rollup(conn, lead) == (twin, soon)


def test_a_plain_history_row_skips_the_pii_walk_and_a_phone_in_its_reason_is_still_redacted(conn, counted):
    new_appointment(conn, None, status="scheduled")
    assert counted("redact_pii_text") == 0 and counted("redact_pii") == 0
    conn.execute("SELECT set_config('dbguard.reason', 'customer asked on +49 30 1234567', true)")
    appointment = new_appointment(conn, None, status="scheduled")
    details = conn.execute("SELECT details FROM public.appointment_events WHERE appointment_id = %s",
                           (appointment,)).fetchone()[0]
    assert details["reason"] == "customer asked on [phone]"


def test_timestamps_are_set_aside_but_a_phone_beside_them_is_still_redacted(conn):
    # The timestamps alone hold well over six digits; the phone is what must be found.
    metadata = {"at": "2026-11-21T10:30:00+00:00", "until": "2026-11-21T11:00:00.5Z", "note": "ruf 030 123456 an"}
    appointment = new_appointment(conn, None, metadata=Jsonb(metadata))
    stored = conn.execute("SELECT metadata FROM public.appointments WHERE id = %s", (appointment,)).fetchone()[0]
    assert stored == metadata | {"note": "ruf [phone] an"}
