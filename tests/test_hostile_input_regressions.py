"""Regression tests for the bugs the hostile-input property tests found
(docs/reliability.md, "Hostile input")."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from psycopg.types.json import Jsonb

import dbguard
from dbguard.backfill import Unparseable, parse_booking
from dbguard.errors import VocabularyViolation
from tests.plugins.calls import alerts, call, new_call


def test_an_oversized_unknown_value_is_refused_in_correct_mode_with_a_bounded_message(conn):
    # correct refuses a code it cannot repair (DESIGN.md §1.2); the message quotes the value cut short.
    value = "\u202e" + "x" * 20_000
    with pytest.raises(VocabularyViolation) as err:
        new_call(conn, direction=value)
    assert len(err.value.diag.message_primary) < 1000 and "inbound, outbound" in err.value.diag.message_detail
    conn.rollback()


@pytest.mark.parametrize("mode", ["alert"])
def test_an_oversized_unknown_value_is_alerted_not_refused(conn, connect, set_mode, mode):
    # A notification carrying the whole description (quoting the value) would exceed
    # pg_notify's 8000-byte payload limit and fail the write with 22023.
    set_mode("call_direction_default", mode)
    listener = connect(autocommit=True)
    listener.execute("LISTEN dbguard_alerts")
    value = "\u202e" + "x" * 20_000
    call_id = new_call(conn, direction=value)
    conn.commit()
    assert call(conn, call_id)["direction"] == value
    [alert] = alerts(conn, "call_direction_default")
    assert value in alert["description"] or value in json.dumps(alert["details"], ensure_ascii=False)
    [note] = list(listener.notifies(timeout=5, stop_after=1))
    payload = json.loads(note.payload)
    assert len(note.payload.encode()) < 8000
    assert payload["id"] == alert["id"] and "description" not in payload
    assert payload["alert_type"] == alert["alert_type"]


def test_an_alert_is_announced_without_the_written_value(conn, connect, set_mode):
    set_mode("call_direction_default", "alert")
    listener = connect(autocommit=True)
    listener.execute("LISTEN dbguard_alerts")
    new_call(conn, direction="sideways")
    conn.commit()
    [note] = list(listener.notifies(timeout=5, stop_after=1))
    payload = json.loads(note.payload)
    # LISTEN needs no privilege: the value the application wrote stays in the table.
    assert "sideways" not in note.payload
    assert payload["id"] == alerts(conn, "call_direction_default")[0]["id"]


def test_a_booking_in_the_dst_gap_gets_an_end_after_its_start(conn):
    # 2031-03-30 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00). The backfill
    # added the service's 30 minutes on the wall clock (03:00 CEST = 01:00Z), before the
    # start (02:30 CET = 01:30Z): the insert failed the ends_after_starts check.
    conn.execute("INSERT INTO public.companies (id, name) OVERRIDING SYSTEM VALUE VALUES (1, 'Acme')")
    conn.execute("INSERT INTO public.services (id, company_id, name, duration_minutes) OVERRIDING SYSTEM VALUE "
                 "VALUES (1, 1, 'Cut', 30)")
    dbguard.set_mode(conn, "booking_confirmed_requires_appointment", "off")
    call_id = new_call(conn, company_id=1, booking_confirmed=True, booking_details=Jsonb(
        {"starts_at": "2031-03-30T02:30:00", "timezone": "Europe/Berlin", "service_name": "Cut"}))
    conn.commit()
    result = dbguard.backfill(conn, "appointments")
    assert (result.created, result.errors) == (1, 0), result.problems
    starts, ends, zone = conn.execute("SELECT starts_at, ends_at, booking_timezone FROM public.appointments "
                                      "WHERE call_id = %s", (call_id,)).fetchone()
    assert ends - starts == dt.timedelta(minutes=30) and zone == "Europe/Berlin"


def test_an_end_before_the_start_across_a_dst_change_is_unparseable_not_a_failed_insert():
    # Same zone on both: Python compared the wall clocks (03:10 > 02:30) and let it through.
    with pytest.raises(Unparseable, match="not after starts_at"):
        parse_booking({"starts_at": "2031-03-30T02:30:00", "ends_at": "2031-03-30T03:10:00",
                       "timezone": "Europe/Berlin", "service_name": "Cut"}, None)
    booking = parse_booking({"starts_at": "2031-10-26T02:30:00", "ends_at": "2031-10-26T03:10:00",
                             "timezone": "Europe/Berlin", "service_name": "Cut"}, None)
    assert booking.ends_at - booking.starts_at == dt.timedelta(minutes=100)
