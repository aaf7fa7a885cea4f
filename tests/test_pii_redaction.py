"""Rule pii_redaction: e-mail addresses and phone numbers never stay in stored JSON."""

from __future__ import annotations

import json

import pytest
from psycopg.types.json import Jsonb

import dbguard
from dbguard.errors import GenericRuleViolation

from .plugins.lifecycle import alerts, insert, update

PAYLOAD = {
    "uid": "bk_8f3a9c",
    "id": 123456789,
    "startTime": "2031-03-10T09:00:00.000+01:00",
    "created": "2031-03-01T17:45:12Z",
    "uuid": "01234567-89ab-cdef-0123-456789abcdef",
    "price": 45.5,
    "paid": True,
    "cancelled": None,
    "attendees": [
        {"name": "Ann Example", "email": "ann.example+cal@example.co.uk", "phoneNumber": "+49 151 2345 6789",
         "timeZone": "Europe/Berlin", "locale": "de"},
        {"name": "Bob", "email": "bob@localhost", "phone": 4930123456, "responses": {"notes": "call me at 030 1234567 or mail bob@example.org"}},
    ],
    "organizer": {"email": "dr.who@clinic.example", "username": "drwho"},
    "location": "Main Street 12, 10115 Berlin",
    "tags": ["vip", "Rückruf: (030) 123-4567"],
    "zip": "01069",
    "order_no": "000123456",
    "eventTypeId": 1234567,
    "duration": 30,
}

REDACTED = {
    **PAYLOAD,
    "attendees": [
        {"name": "Ann Example", "email": "[email]", "phoneNumber": "[phone]", "timeZone": "Europe/Berlin", "locale": "de"},
        {"name": "Bob", "email": "[email]", "phone": "[phone]",
         "responses": {"notes": "call me at [phone] or mail [email]"}},
    ],
    "organizer": {"email": "[email]", "username": "drwho"},
    "tags": ["vip", "Rückruf: [phone]"],
}


def test_nested_payload_is_stored_redacted_and_everything_else_untouched(conn):
    a = insert(conn, "appointments", metadata=Jsonb(PAYLOAD))
    assert a["metadata"] == REDACTED


def test_update_of_metadata_is_redacted_too(conn):
    a = insert(conn, "appointments")
    r = update(conn, "appointments", a["id"], metadata=Jsonb({"contact": ["+1 (555) 123-4567", "x@y.io"]}))
    assert r["metadata"] == {"contact": ["[phone]", "[email]"]}


def test_appointment_events_details_are_redacted(conn):
    r = insert(conn, "appointment_events", event="note", details=Jsonb({"a": [{"b": "reach me: 0151/12345678"}]}))
    assert r["details"] == {"a": [{"b": "reach me: [phone]"}]}


@pytest.mark.parametrize("text", [
    "2031-03-10T09:00:00.123456+00:00", "2031-03-10", "15:30-16:30", "550e8400-e29b-41d4-a716-446655440000",
    "cal_123456789", "1732200000000", "v10.2.3", "price 12.50 EUR", "booking 0123", "ref 98765432", "00123456",
])
def test_values_that_are_not_pii_are_kept(conn, text):
    assert conn.execute("SELECT dbguard.redact_pii(%s)", (Jsonb({"v": text}),)).fetchone()[0] == {"v": text}


@pytest.mark.parametrize("text, expected", [
    ("+4915112345678", "[phone]"), ("+49 (0)151 1234-5678", "[phone]"), ("0049 30 1234567", "[phone]"),
    ("030 1234567", "[phone]"), ("555.123.4567", "[phone]"), ("mailto:a.b@c-d.de", "mailto:[email]"),
    ("tel +44 20 7946 0958, fax +44 20 7946 0959", "tel [phone], fax [phone]"),
])
def test_pii_patterns(conn, text, expected):
    assert conn.execute("SELECT dbguard.redact_pii_text(%s)", (text,)).fetchone()[0] == expected


def test_phone_like_keys_redact_bare_numbers_only_when_long_enough(conn):
    got = conn.execute("SELECT dbguard.redact_pii(%s)", (Jsonb(
        {"customerPhone": "5551234567", "mobile": 15112345678, "phone_verified": True, "phone_country": "DE",
         "phone_ext": 12, "telephone": None, "phone_verified_at": "2031-03-10T09:00:00Z",
         "phone_updated_on": "2031-03-10", "mobile_app": "v10.2.3 build 20310310"}),)).fetchone()[0]
    assert got == {"customerPhone": "[phone]", "mobile": "[phone]", "phone_verified": True, "phone_country": "DE",
                   "phone_ext": 12, "telephone": None, "phone_verified_at": "2031-03-10T09:00:00Z",
                   "phone_updated_on": "2031-03-10", "mobile_app": "v10.2.3 build 20310310"}


def test_scalar_and_empty_json_keep_their_shape(conn):
    for value in ("[]", "{}", '"a@b.de"', "null", "[[], {}, [\"+49 30 1234567\"]]"):
        got = conn.execute("SELECT dbguard.redact_pii(%s::jsonb)::text", (value,)).fetchone()[0]
        assert json.loads(got) == {"[]": [], "{}": {}, '"a@b.de"': "[email]", "null": None,
                                   "[[], {}, [\"+49 30 1234567\"]]": [[], {}, ["[phone]"]]}[value]


def test_alert_mode_stores_the_payload_and_alerts_without_the_values(conn):
    dbguard.set_mode(conn, "pii_redaction", "alert")
    a = insert(conn, "appointments", metadata=Jsonb({"email": "ann@example.com"}))
    assert a["metadata"] == {"email": "ann@example.com"}
    [alert] = alerts(conn, "pii_redaction")
    assert alert["alert_type"] == "pii_in_metadata" and alert["entity_id"] == str(a["id"])
    assert "ann@example.com" not in json.dumps(alert["details"]) + alert["description"]


def test_enforce_mode_refuses_pii(conn):
    dbguard.set_mode(conn, "pii_redaction", "enforce")
    with pytest.raises(GenericRuleViolation) as err:
        insert(conn, "appointments", metadata=Jsonb({"note": "ann@example.com"}))
    assert "metadata contains e-mail addresses or phone numbers" in err.value.diag.message_primary


def test_enforce_mode_accepts_clean_payloads(conn):
    dbguard.set_mode(conn, "pii_redaction", "enforce")
    assert insert(conn, "appointments", metadata=Jsonb({"uid": "bk_1"}))["metadata"] == {"uid": "bk_1"}


def test_correct_mode_is_silent_and_off_keeps_pii(conn):
    insert(conn, "appointments", metadata=Jsonb({"email": "ann@example.com"}))
    assert alerts(conn, "pii_redaction") == []
    dbguard.set_mode(conn, "pii_redaction", "off")
    assert insert(conn, "appointments", metadata=Jsonb({"email": "ann@example.com"}))["metadata"] == \
        {"email": "ann@example.com"}
