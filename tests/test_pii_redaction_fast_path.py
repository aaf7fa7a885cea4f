"""pii_redaction makes its first test in its block of the compiled function, and keeps
its fast paths to a NULL test (the compiled triggers have no WHEN clause: PostgreSQL parses
and plans a WHEN clause again for every statement). Writes that cannot carry PII never walk
the JSON; writes that can are still redacted. Function calls are counted with track_functions."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from .plugins.calls import new_appointment, row, update

def test_an_appointment_without_metadata_calls_no_pii_function(conn, counted):
    new_appointment(conn, None, status="scheduled")
    # The history row (details always set) enters the rule's block and stops at the first test.
    assert counted("redact_pii") == 0 and counted("redact_pii_text") == 0


def test_an_update_that_does_not_set_metadata_calls_no_pii_function(conn, counted):
    appointment = new_appointment(conn, None, status="scheduled", metadata=Jsonb({"note": "ask for ann@example.com"}))
    before = counted("redact_pii"), counted("redact_pii_text")
    update(conn, "appointments", appointment, status="cancelled")
    # The cancellation's history row stops at the first test; the metadata is not looked at again.
    assert (counted("redact_pii"), counted("redact_pii_text")) == before
    assert row(conn, "appointments", appointment)["metadata"] == {"note": "ask for [email]"}


def test_an_update_that_rewrites_the_same_metadata_returns_at_once(conn, counted):
    appointment = new_appointment(conn, None, status="scheduled", metadata=Jsonb({"note": "call 030 1234567"}))
    walks = counted("redact_pii")
    conn.execute("UPDATE public.appointments SET metadata = metadata WHERE id = %s", (appointment,))
    assert counted("redact_pii") == walks
    assert row(conn, "appointments", appointment)["metadata"] == {"note": "call [phone]"}


@pytest.mark.parametrize("metadata, stored", [
    ({"email": "ann@example.com"}, {"email": "[email]"}),
    ({"Phone": "+49 30 1234567"}, {"Phone": "[phone]"}),
    ({"note": "call 030 123456"}, {"note": "call [phone]"}),
])
def test_an_update_that_sets_pii_metadata_is_redacted(conn, metadata, stored):
    appointment = new_appointment(conn, None, status="scheduled")
    update(conn, "appointments", appointment, metadata=Jsonb(metadata))
    assert row(conn, "appointments", appointment)["metadata"] == stored


def test_an_event_detail_rewritten_with_pii_is_redacted(conn):
    appointment = new_appointment(conn, None, status="scheduled")
    conn.execute("UPDATE public.appointment_events SET details = details || '{\"note\": \"mail bob@example.org\"}' "
                 "WHERE appointment_id = %s", (appointment,))
    details = conn.execute("SELECT details FROM public.appointment_events WHERE appointment_id = %s",
                           (appointment,)).fetchone()[0]
    assert details["note"] == "mail [email]"


def test_off_mode_still_stores_pii_metadata_as_written(conn, set_mode):
    set_mode("pii_redaction", "off")
    appointment = new_appointment(conn, None, status="scheduled", metadata=Jsonb({"email": "ann@example.com"}))
    assert row(conn, "appointments", appointment)["metadata"] == {"email": "ann@example.com"}


def test_no_pii_fast_path_carries_more_than_a_null_test(conn):
    paths = {table: rest for table, *rest in conn.execute(
        "SELECT table_name::text, insert_when, update_of, update_when FROM dbguard.rule_fragments "
        "WHERE rule = 'pii_redaction' AND mode = 'correct'")}
    assert paths == {"appointments": ["NEW.metadata IS NOT NULL", ["metadata"], None],
                     "appointment_events": [None, ["details"], None]}
    # and the compiled triggers that run it carry no WHEN clause at all
    defs = [d for (d,) in conn.execute(
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgfoid IN "
        "('dbguard.tg_appointments__before_row()'::regprocedure, 'dbguard.tg_appointment_events__before_row()'::regprocedure)")]
    assert len(defs) == 2 and all(" WHEN " not in d for d in defs)
