"""A booking written by a real application client (node-postgres, PHP PDO, SQLAlchemy on
psycopg 3 and psycopg2) as a LOGIN role in the application role: the happy path in every
mode, and the broken path (the appointment INSERT fails, the app swallows it and commits)
as each mode promises it to the client."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from psycopg.rows import dict_row

from ..plugins.calls import MODES
from .harness import run

START = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.timezone.utc)
RULE = "booking_confirmed_requires_appointment"
ENFORCE_SQLSTATE = "23Q03"


def booking(company_id: int) -> dict:
    key = uuid.uuid4().hex[:12]
    return {"company_id": company_id, "retell_call_id": f"retell-{key}", "booking_id": f"cal-{key}",
            "starts_at": START.isoformat(), "ends_at": (START + dt.timedelta(minutes=30)).isoformat()}


def fetch(conn, query: str, *params) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def call_of(conn, retell_call_id: str) -> dict | None:
    rows = fetch(conn, "SELECT * FROM public.calls WHERE retell_call_id = %s", retell_call_id)
    return rows[0] if rows else None


def alerts(conn) -> list[dict]:
    return fetch(conn, "SELECT * FROM dbguard.data_consistency_alerts ORDER BY id")


def reviews(conn) -> list[dict]:
    return fetch(conn, "SELECT * FROM dbguard.manual_review_queue ORDER BY id")


def warnings(result: dict) -> list[dict]:
    return [n for n in result["notices"] if n["severity"] == "WARNING"]


@pytest.mark.parametrize("mode", MODES)
def test_a_booking_written_by_a_real_client_commits_untouched_in_every_mode(conn, client, login, all_rules,
                                                                         company_id, mode):
    all_rules(mode)
    params = booking(company_id)
    result = run(client, login, "happy", **params)
    assert result["error"] is None, result["error"]
    conn.rollback()
    call = call_of(conn, params["retell_call_id"])
    assert (call["booking_confirmed"], call["appointment_made"], call["session_outcome"]) == \
        (True, True, "appointment_booked")
    [appointment] = fetch(conn, "SELECT * FROM public.appointments WHERE call_id = %s", call["id"])
    assert appointment["id"] == result["appointment_id"]
    if mode in ("correct", "enforce"):  # off and alert leave derived fields as written
        assert (call["appointment_link_status"], call["appointment_id"]) == ("linked", appointment["id"])
        # The transaction's tag reached the trail, through this driver's set_config call.
        assert (appointment["created_by"], appointment["booking_source"]) == ("retell_ai", "retell_webhook")
    # Alert mode may note, at severity info, the derived fields it left as written; nothing else.
    assert [a for a in alerts(conn) if a["severity"] != "info" or a["auto_corrected"]] == []
    assert reviews(conn) == []
    assert warnings(result) == []


def test_the_client_hears_a_warning_with_its_detail_and_hint(client, login):
    """The harness itself: this client's notice handler gets what a RAISE WARNING sends."""
    result = run(client, login, "probe",
                 warning_sql="DO $$BEGIN RAISE WARNING 'probe warning' USING DETAIL = 'probe detail', "
                             "HINT = 'probe hint'; END$$",
                 error_sql="SELECT 1")
    if not result["notices_supported"]:
        pytest.skip(f"{client}: this PDO cannot hand server notices to the application "
                    "(Pdo\\Pgsql::setNoticeCallback needs PHP 8.4)")
    assert result["error"] is None, result["error"]
    assert [(n["message"], n["detail"], n["hint"]) for n in warnings(result)] == \
        [("probe warning", "probe detail", "probe hint")]


def test_a_class_23_sqlstate_of_our_own_is_an_integrity_error_to_the_client(client, login):
    """Why dbguard's own codes are in class 23: each driver classifies them with no import of
    dbguard's (SQLAlchemy: IntegrityError), and exposes code, message, DETAIL and HINT."""
    result = run(client, login, "probe", warning_sql="SELECT 1",
                 error_sql=f"DO $$BEGIN RAISE EXCEPTION 'probe error' USING ERRCODE = '{ENFORCE_SQLSTATE}', "
                           "DETAIL = 'probe detail', HINT = 'probe hint'; END$$")
    error = result["error"]
    assert (error["sqlstate"], error["detail"], error["hint"]) == (ENFORCE_SQLSTATE, "probe detail", "probe hint")
    assert "probe error" in error["message"]
    if client.startswith("sqlalchemy"):
        assert error["kind"] == "IntegrityError"


def broken(conn, client, login, all_rules, company_id, mode) -> tuple[dict, dict]:
    """Run the broken booking in ``mode``: (the client's result, the parameters)."""
    all_rules(mode)
    params = booking(company_id)
    result = run(client, login, "broken", **params)
    # The appointment really failed, and the client really swallowed it.
    assert result["swallowed"]["sqlstate"] == "23514", result
    conn.rollback()
    return result, params


def test_enforce_a_swallowed_appointment_failure_fails_the_commit_and_keeps_nothing(conn, client, login, all_rules,
                                                                                     company_id):
    result, params = broken(conn, client, login, all_rules, company_id, "enforce")
    error = result["error"]
    assert error is not None, "the commit succeeded"
    assert f"call {result['call_id']} claims a booking" in error["message"]
    assert "call_id" in error["detail"] and "rollback_booking_flags" in error["hint"]
    assert call_of(conn, params["retell_call_id"]) is None
    assert alerts(conn) == [] and reviews(conn) == []


def test_enforce_the_refused_commit_is_an_integrity_error_with_sqlstate_23Q03(conn, client, login, all_rules,
                                                                             company_id):
    result, _ = broken(conn, client, login, all_rules, company_id, "enforce")
    error = result["error"]
    assert error["sqlstate"][:2] == "23" and error["sqlstate"] == ENFORCE_SQLSTATE, error
    if client.startswith("sqlalchemy"):
        assert error["kind"] == "IntegrityError", error


def test_correct_a_swallowed_appointment_failure_commits_with_the_claim_taken_back(conn, client, login, all_rules,
                                                                                  company_id):
    result, params = broken(conn, client, login, all_rules, company_id, "correct")
    assert result["error"] is None, result["error"]
    call = call_of(conn, params["retell_call_id"])
    assert (call["booking_confirmed"], call["appointment_made"], call["session_outcome"],
            call["appointment_link_status"]) == (False, False, "creation_failed", "creation_failed")
    [alert] = [a for a in alerts(conn) if a["rule"] == RULE]
    assert (alert["entity_id"], alert["auto_corrected"]) == (str(call["id"]), True)
    assert [(r["call_id"], r["priority"], r["status"]) for r in reviews(conn)] == [(call["id"], 1, "pending")]


def test_correct_the_client_hears_a_warning_naming_the_corrected_call(conn, client, login, all_rules, company_id):
    result, _ = broken(conn, client, login, all_rules, company_id, "correct")
    if not result["notices_supported"]:
        pytest.skip(f"{client}: this PDO cannot hand server notices to the application "
                    "(Pdo\\Pgsql::setNoticeCallback needs PHP 8.4)")
    [warning] = warnings(result)
    assert f"call {result['call_id']} claims a booking" in warning["message"]
    assert "call_id" in warning["detail"] and "rollback_booking_flags" in warning["hint"]


def test_alert_a_swallowed_appointment_failure_commits_as_written_with_an_alert(conn, client, login, all_rules,
                                                                                company_id):
    result, params = broken(conn, client, login, all_rules, company_id, "alert")
    assert result["error"] is None, result["error"]
    call = call_of(conn, params["retell_call_id"])
    assert (call["booking_confirmed"], call["appointment_made"], call["session_outcome"]) == \
        (True, True, "appointment_booked")
    assert [(a["rule"], a["alert_type"], a["entity_id"], a["auto_corrected"]) for a in alerts(conn)
            if a["rule"] == RULE] == [(RULE, "confirmed_without_appointment", str(call["id"]), False)]
    assert reviews(conn) == []
    assert warnings(result) == []


def test_off_a_swallowed_appointment_failure_commits_as_written_and_unnoticed(conn, client, login, all_rules,
                                                                              company_id):
    result, params = broken(conn, client, login, all_rules, company_id, "off")
    assert result["error"] is None, result["error"]
    call = call_of(conn, params["retell_call_id"])
    assert (call["booking_confirmed"], call["appointment_made"]) == (True, True)
    assert alerts(conn) == [] and reviews(conn) == []
    assert warnings(result) == []
