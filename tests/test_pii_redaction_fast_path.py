"""pii_redaction makes its first test in the function, ahead of the
mode read, and keeps its WHEN clauses to a NULL test (PostgreSQL parses and plans a WHEN clause
again for every statement). Writes that cannot carry PII still call nothing or return at once;
writes that can are still redacted. Function calls are counted with track_functions."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from .plugins.calls import new_appointment, row, update

PII = "tg_json__pii_redaction"


def test_an_appointment_without_metadata_calls_no_pii_function(conn, counted):
    new_appointment(conn, None, status="scheduled")
    # The history row (details always set) calls it once and it stops at the first test.
    assert counted(PII) == 1
    assert counted("redact_pii") == 0 and counted("redact_pii_text") == 0


def test_an_update_that_does_not_set_metadata_calls_no_pii_function(conn, counted):
    appointment = new_appointment(conn, None, status="scheduled", metadata=Jsonb({"note": "ask for ann@example.com"}))
    before = counted(PII)
    update(conn, "appointments", appointment, status="cancelled")
    # Only the cancellation's history row.
    assert counted(PII) == before + 1
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


def test_no_pii_trigger_carries_more_than_a_null_test(conn):
    clauses = dict(conn.execute(
        "SELECT c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'dbguard_150_pii_redaction%'").fetchall())
    assert len(clauses) == 4
    assert "WHEN ((new.metadata IS NOT NULL))" in clauses["appointments.dbguard_150_pii_redaction"]
    assert "WHEN" not in clauses["appointment_events.dbguard_150_pii_redaction"]
    assert "BEFORE UPDATE OF metadata ON" in clauses["appointments.dbguard_150_pii_redaction_update"]
    assert "BEFORE UPDATE OF details ON" in clauses["appointment_events.dbguard_150_pii_redaction_update"]
    assert all("WHEN" not in d for k, d in clauses.items() if k.endswith("_update"))
