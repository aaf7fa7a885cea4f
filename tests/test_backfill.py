"""Backfills: each inconsistency injected as legacy data (triggers bypassed) is
repaired; dry runs change nothing; a second run changes nothing; domain row
counts never drop; a row that cannot be repaired goes to manual review once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from psycopg.types.json import Jsonb

import dbguard
from dbguard.backfill import Unparseable, parse_booking

TABLES = ("companies", "customers", "services", "calls", "appointments", "leads", "appointment_events")


def snapshot(conn) -> dict:
    """Row count and content digest of every domain table and of the review queue."""
    out = {}
    for table in [f"public.{t}" for t in TABLES] + ["dbguard.manual_review_queue"]:
        out[table] = conn.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "
                                  f"FROM {table} t").fetchone()
    conn.rollback()
    return out


def counts(result) -> tuple:
    return result.created, result.updated, result.skipped, result.review, result.errors


def assert_no_row_lost(before, after):
    for table, (count, _digest) in before.items():
        assert after[table][0] >= count, f"{table} lost rows"


def check_dry_run_then_run_then_rerun(conn, run, expected, rerun_expected):
    before = snapshot(conn)
    dry = run(conn, dry_run=True, batch_size=2)
    assert counts(dry) == expected and dry.dry_run
    assert snapshot(conn) == before, "a dry run changes nothing"
    first = run(conn, batch_size=2)
    assert counts(first) == expected, first.problems
    after = snapshot(conn)
    assert_no_row_lost(before, after)
    second = run(conn, batch_size=2)
    assert counts(second) == rerun_expected, second.problems
    assert snapshot(conn) == after, "a second run changes nothing"
    return first


# --------------------------------------------------------------------------- appointments

@pytest.fixture
def world(conn, legacy):
    company, other = [r[0] for r in legacy(
        "INSERT INTO public.companies (name) VALUES ('Acme'), ('Other') RETURNING id")]
    haircut, coloring, _other_haircut = [r[0] for r in legacy(
        """INSERT INTO public.services (company_id, name, duration_minutes, calcom_event_type_id)
           VALUES (%(c)s, 'Haircut', 30, 77), (%(c)s, 'Coloring', NULL, NULL), (%(o)s, 'Haircut', 60, NULL)
           RETURNING id""", {"c": company, "o": other})]
    known = legacy("INSERT INTO public.customers (company_id, name, email) VALUES (%s, 'Known', 'known@example.com') "
                   "RETURNING id", (company,))[0][0]
    return {"company": company, "other": other, "haircut": haircut, "coloring": coloring, "known": known}


def legacy_call(legacy, world, details, *, confirmed=True, booking_id=None, customer_id=None, rid=None):
    return legacy(
        """INSERT INTO public.calls (company_id, retell_call_id, booking_confirmed, appointment_made, booking_id,
                                     booking_details, customer_id, session_outcome)
           VALUES (%s, %s, %s, %s, %s, %s, %s, 'appointment_booked') RETURNING id""",
        (world["company"], rid, confirmed, confirmed, booking_id, None if details is None else Jsonb(details),
         customer_id))[0][0]


@pytest.fixture
def legacy_calls(conn, legacy, world):
    calls = {
        "top_level": legacy_call(legacy, world, {
            "starts_at": "2026-03-02T10:00:00+01:00", "ends_at": "2026-03-02T10:45:00+01:00",
            "service_name": "haircut ", "customer_name": "Jane Roe", "customer_email": "jane@example.com",
            "customer_phone": "+49 30 1234567", "calcom_booking_id": "cal-A"}),
        "sub_object": legacy_call(legacy, world, {"booking": {
            "starts_at": "2026-03-03T09:00:00", "timezone": "Europe/Berlin", "service_id": world["haircut"],
            "customer_name": "Known", "customer_email": "KNOWN@example.com"}}, booking_id="cal-B"),
        "anonymous": legacy_call(legacy, world, {
            "starts_at": "2026-03-04T10:00:00Z", "service_name": "Coloring",
            "customer_email": "noreply@calls.example", "customer_name": "anonymous"}),
        "has_customer": legacy_call(legacy, world, {
            "starts_at": "2026-03-05T10:00:00Z", "service_name": "Haircut"}, customer_id=world["known"]),
        "no_service": legacy_call(legacy, world, {"starts_at": "2026-03-06T10:00:00Z", "service_name": "Massage"}),
        "other_company_service": legacy_call(legacy, world, {
            "starts_at": "2026-03-06T10:00:00Z", "service_id": world["haircut"] + 2}),
        "not_json": legacy_call(legacy, world, "not json at all"),
        "bad_date": legacy_call(legacy, world, {"starts_at": "next tuesday", "service_name": "Haircut"}),
        "array": legacy_call(legacy, world, [1, 2]),
        "null": legacy_call(legacy, world, None),
        "booking_id_taken": legacy_call(legacy, world, {
            "starts_at": "2026-03-07T10:00:00Z", "service_name": "Haircut", "calcom_booking_id": "cal-J"}),
        "not_confirmed": legacy_call(legacy, world, {"starts_at": "2026-03-08T10:00:00Z", "service_name": "Haircut"},
                                     confirmed=False),
        "has_appointment": legacy_call(legacy, world, {"starts_at": "2026-03-09T10:00:00Z",
                                                       "service_name": "Haircut"}),
    }
    legacy("INSERT INTO public.appointments (company_id, call_id, starts_at, calcom_v2_booking_id, source) "
           "VALUES (%s, %s, '2026-03-09T10:00:00Z', 'cal-H', 'retell_webhook'), "
           "       (%s, NULL, '2026-03-07T10:00:00Z', 'cal-J', 'cal.com')",
           (world["company"], calls["has_appointment"], world["company"]))
    return calls


def appointment_of(conn, call_id):
    cur = conn.execute("SELECT * FROM public.appointments WHERE call_id = %s", (call_id,))
    names = [d.name for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    conn.rollback()
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_backfill_appointments_repairs_confirmed_calls_once(conn, legacy_calls, world):
    # created: top_level, sub_object, anonymous, has_customer; review: no_service, other_company_service,
    # not_json, bad_date, array, null; skipped: booking_id_taken.
    check_dry_run_then_run_then_rerun(conn, dbguard.backfill_appointments, (4, 0, 1, 6, 0), (0, 0, 7, 0, 0))
    for name in ("top_level", "sub_object", "anonymous", "has_customer"):
        a = appointment_of(conn, legacy_calls[name])
        assert a is not None, name
        assert (a["source"], a["booking_source"], a["created_by"], a["status"]) == \
            ("backfill", "backfill", "system_migration", "confirmed")
    for name in ("not_confirmed", "no_service", "not_json", "booking_id_taken"):
        assert appointment_of(conn, legacy_calls[name]) is None, name
    queue = dict(conn.execute("SELECT call_id, reason FROM dbguard.manual_review_queue").fetchall())
    assert queue == {
        legacy_calls["no_service"]: "service_not_found", legacy_calls["other_company_service"]: "service_not_found",
        legacy_calls["not_json"]: "booking_details_unparseable", legacy_calls["bad_date"]: "booking_details_unparseable",
        legacy_calls["array"]: "booking_details_unparseable", legacy_calls["null"]: "booking_details_unparseable"}
    problem = conn.execute("SELECT context->>'problem' FROM dbguard.manual_review_queue WHERE call_id = %s",
                           (legacy_calls["bad_date"],)).fetchone()[0]
    assert "'next tuesday' is not an ISO 8601 date" in problem


def test_backfilled_appointment_values(conn, legacy_calls, world):
    dbguard.backfill_appointments(conn)
    utc = timezone.utc
    a = appointment_of(conn, legacy_calls["top_level"])
    assert (a["starts_at"], a["ends_at"]) == (datetime(2026, 3, 2, 9, 0, tzinfo=utc), datetime(2026, 3, 2, 9, 45,
                                                                                                  tzinfo=utc))
    assert (a["calcom_v2_booking_id"], a["service_id"], a["calcom_event_type_id"], a["provider"]) == \
        ("cal-A", world["haircut"], 77, "calcom")
    jane = conn.execute("SELECT name, email, phone, company_id FROM public.customers WHERE id = %s",
                        (a["customer_id"],)).fetchone()
    assert jane == ("Jane Roe", "jane@example.com", "+49 30 1234567", world["company"])

    b = appointment_of(conn, legacy_calls["sub_object"])
    assert b["starts_at"] == datetime(2026, 3, 3, 8, 0, tzinfo=utc), "naive time read in the booking's timezone"
    assert b["ends_at"] - b["starts_at"] == timedelta(minutes=30), "end from the service's duration"
    assert (b["calcom_v2_booking_id"], b["customer_id"], b["booking_timezone"]) == \
        ("cal-B", world["known"], "Europe/Berlin")

    c = appointment_of(conn, legacy_calls["anonymous"])
    placeholder = conn.execute("SELECT name, email FROM public.customers WHERE id = %s",
                               (c["customer_id"],)).fetchone()
    assert placeholder == (f"Anonymous caller (call {legacy_calls['anonymous']})",
                           f"anonymous+call-{legacy_calls['anonymous']}@placeholder.invalid")
    assert "original e-mail: noreply@calls.example" in c["notes"]
    assert c["calcom_v2_booking_id"] is None and c["ends_at"] is None

    assert appointment_of(conn, legacy_calls["has_customer"])["customer_id"] == world["known"]


def test_a_row_refused_by_a_trigger_is_counted_and_queued_and_the_rest_goes_on(conn, legacy_calls):
    # A stand-in rule: refuses one booking, and checks the backfill tags its transactions.
    conn.execute("""
        CREATE FUNCTION public.test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF dbguard.acting('actor') IS DISTINCT FROM 'system_migration'
               OR dbguard.acting('source') IS DISTINCT FROM 'backfill' THEN
                RAISE EXCEPTION 'acting settings not set';
            END IF;
            IF NEW.calcom_v2_booking_id = 'cal-A' THEN
                RAISE EXCEPTION 'refused by a test rule' USING ERRCODE = 'DG001';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER test_refuse BEFORE INSERT ON public.appointments
            FOR EACH ROW EXECUTE FUNCTION public.test_refuse();""")
    conn.commit()
    result = dbguard.backfill_appointments(conn)
    assert counts(result) == (3, 0, 1, 6, 1)
    assert "refused by a test rule" in next(p["detail"] for p in result.problems if p["outcome"] == "errors")
    assert conn.execute("SELECT reason, context->>'problem' FROM dbguard.manual_review_queue WHERE call_id = %s",
                        (legacy_calls["top_level"],)).fetchone()[0] == "appointment_backfill_failed"
    conn.rollback()
    again = dbguard.backfill_appointments(conn)
    assert (again.created, again.errors) == (0, 1)
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue WHERE call_id = %s",
                        (legacy_calls["top_level"],)).fetchone()[0] == 1, "queued once"


def test_a_booking_details_nested_5000_deep_goes_to_review_and_later_calls_are_still_backfilled(conn, legacy, world):
    deep = legacy("""INSERT INTO public.calls (company_id, booking_confirmed, appointment_made, booking_details)
                     VALUES (%s, true, true, (repeat('{"a":', 5000) || '1' || repeat('}', 5000))::jsonb)
                     RETURNING id""", (world["company"],))[0][0]
    deep_twice = legacy_call(legacy, world, "[" * 5000 + "]" * 5000)  # the same, encoded as a JSON string
    later = legacy_call(legacy, world, {"starts_at": "2026-03-02T10:00:00Z", "service_name": "Haircut"})
    result = dbguard.backfill_appointments(conn, batch_size=1)
    assert counts(result) == (1, 0, 0, 2, 0), result.problems
    assert appointment_of(conn, later) is not None
    problems = dict(conn.execute("SELECT call_id, context->>'problem' FROM dbguard.manual_review_queue "
                                 "WHERE reason = 'booking_details_unparseable'").fetchall())
    assert set(problems) == {deep, deep_twice}
    assert all("nested too deeply" in p for p in problems.values())
    conn.rollback()
    assert counts(dbguard.backfill_appointments(conn)) == (0, 0, 2, 0, 0), "queued once, run again cleanly"


def test_calls_with_ids_at_or_below_zero_are_backfilled(conn, legacy, world):
    ids = [-(2 ** 63), -1, 0]
    for call_id in ids:
        legacy("""INSERT INTO public.calls (id, company_id, booking_confirmed, appointment_made, booking_details)
                  VALUES (%s, %s, true, true, %s)""",
               (call_id, world["company"], Jsonb({"starts_at": "2026-03-02T10:00:00Z", "service_name": "Haircut"})))
    result = dbguard.backfill_appointments(conn, batch_size=2)
    assert counts(result) == (3, 0, 0, 0, 0), result.problems
    assert all(appointment_of(conn, call_id) is not None for call_id in ids)


@pytest.mark.parametrize("details, problem", [
    ("{not json", "string that is not JSON"),
    ({"booking": "x"}, "booking_details.booking is a string that is not JSON"),
    ({"service_name": "x"}, "no starts_at"),
    ({"starts_at": "2026-13-01T10:00:00Z"}, "not an ISO 8601"),
    ({"starts_at": "2026-03-01T10:00:00"}, "no UTC offset"),
    ({"starts_at": "2026-03-01T10:00:00", "timezone": "Mars/Base"}, "not an IANA time zone"),
    ({"starts_at": "2026-03-01T10:00:00Z", "ends_at": "2026-03-01T09:00:00Z"}, "not after starts_at"),
    ({"starts_at": "2026-03-01T10:00:00Z", "service_id": "abc"}, "not an id"),
    ({"starts_at": {"a": 1}}, "not a scalar"),
    (42, "a number, not a JSON object"),
])
def test_unparseable_booking_details_say_what_is_wrong(details, problem):
    with pytest.raises(Unparseable, match=problem):
        parse_booking(details, None)


def test_booking_details_encoded_twice_and_call_booking_id_are_accepted():
    booking = parse_booking(json.dumps({"starts_at": "2026-03-01T10:00:00Z", "service_id": 5}), " cal-9 ")
    assert (booking.service_id, booking.booking_id) == (5, "cal-9")
    assert booking.starts_at == datetime(2026, 3, 1, 10, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- metadata

def test_backfill_metadata_fills_only_nulls_from_source(conn, legacy):
    rows = [
        ("retell_webhook", None, None, "scheduled", None),
        ("cal.com", None, None, "scheduled", None),
        ("widget_embed", None, None, "scheduled", None),
        ("legacy_import", None, None, "scheduled", None),
        ("retell_webhook", "admin_user", None, "scheduled", None),
        ("manual_admin", "admin_user", "manual_admin", "cancelled", None),
        ("manual_admin", "admin_user", "manual_admin", "scheduled", None),
        ("cal.com", "cal.com_webhook", "cal.com_direct", "cancelled", "retell_ai"),
    ]
    ids = [legacy("INSERT INTO public.appointments (source, created_by, booking_source, status, cancelled_by, "
                  "starts_at, cancelled_at) VALUES (%s, %s, %s, %s, %s, now(), "
                  "CASE WHEN %s = 'cancelled' THEN now() END) RETURNING id", (*r, r[3]))[0][0] for r in rows]
    check_dry_run_then_run_then_rerun(conn, dbguard.backfill_metadata, (0, 6, 0, 0, 0), (0, 0, 0, 0, 0))
    got = conn.execute("SELECT created_by, booking_source, cancelled_by FROM public.appointments "
                       "WHERE id = ANY(%s) ORDER BY id", (ids,)).fetchall()
    assert got == [
        ("retell_ai", "retell_webhook", None),
        ("cal.com_webhook", "cal.com_direct", None),
        ("unknown", "widget_embed", None),
        ("unknown", "unknown", None),
        ("admin_user", "retell_webhook", None),
        ("admin_user", "manual_admin", "unknown"),
        ("admin_user", "manual_admin", None),
        ("cal.com_webhook", "cal.com_direct", "retell_ai"),
    ]


# --------------------------------------------------------------------------- lead history

def test_backfill_lead_history_turns_rollups_into_appointments(conn, legacy):
    start = datetime(2026, 4, 1, 9, tzinfo=timezone.utc)
    customer = legacy("INSERT INTO public.customers (name) VALUES ('Lee') RETURNING id")[0][0]

    def lead(status, *, end=timedelta(hours=1), canceled_at=None, provider="cal.com", appointment_id=None,
             start_at=start):
        return legacy(
            """INSERT INTO public.leads (company_id, customer_id, name, appointment_start_at, appointment_end_at,
                   appointment_status, appointment_canceled_at, appointment_provider, appointment_source,
                   appointment_id)
               VALUES (1, %s, 'lead', %s, %s, %s, %s, %s, 'retell_phone', %s) RETURNING id""",
            (customer, start_at, start_at + end if start_at and end is not None else None, status, canceled_at,
             provider, appointment_id))[0][0]

    leads = {
        "confirmed": lead("confirmed"),
        "canceled": lead("canceled", canceled_at=start - timedelta(days=1)),
        "weird_status": lead("pending-ish"),
        "bad_end": lead("scheduled", end=timedelta(hours=-1), provider="zoom"),
        "no_rollup": lead(None, start_at=None),
    }
    unlinked = legacy("INSERT INTO public.appointments (starts_at, source) VALUES (%s, 'cal.com') RETURNING id",
                      (start,))[0][0]
    leads["points_elsewhere"] = lead("confirmed", appointment_id=unlinked)
    leads["has_appointment"] = lead("confirmed")
    legacy("INSERT INTO public.appointments (lead_id, starts_at, source) VALUES (%s, %s, 'cal.com')",
           (leads["has_appointment"], start))

    check_dry_run_then_run_then_rerun(conn, dbguard.backfill_lead_history, (3, 0, 1, 1, 0), (0, 0, 2, 0, 0))
    rows = {r[0]: r[1:] for r in conn.execute(
        """SELECT a.lead_id, a.status, a.starts_at, a.ends_at, a.cancelled_at, a.cancelled_by, a.provider, a.source,
                  a.booking_source, a.created_by, l.appointment_id = a.id
             FROM public.appointments a JOIN public.leads l ON l.id = a.lead_id
            WHERE a.source = 'migration'""")}
    migrated = ("migration", "migration", "system_migration", True)
    assert rows == {
        leads["confirmed"]: ("confirmed", start, start + timedelta(hours=1), None, None, "calcom", *migrated),
        leads["canceled"]: ("cancelled", start, start + timedelta(hours=1), start - timedelta(days=1), "unknown",
                            "calcom", *migrated),
        leads["bad_end"]: ("scheduled", start, None, None, None, None, *migrated),
    }
    assert conn.execute("SELECT call_id, reason, context->>'lead_id' FROM dbguard.manual_review_queue").fetchall() \
        == [(None, "lead_history_unparseable", str(leads["weird_status"]))]


def test_cli_backfill_dry_run_and_run(conn, dsn, legacy):
    legacy("INSERT INTO public.appointments (source, starts_at) VALUES ('retell_webhook', now())")
    run = lambda *a: subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "backfill", *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    dry = run("metadata", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["updated"] == 1 and json.loads(dry.stdout)["dry_run"] is True
    done = run("metadata", "--batch-size", "10")
    assert done.returncode == 0 and "1 updated, 0 skipped" in done.stdout
    assert conn.execute("SELECT created_by FROM public.appointments").fetchone()[0] == "retell_ai"
    bad = run("nonsense")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr


def test_backfill_refuses_a_connection_with_an_open_transaction(conn):
    conn.execute("SELECT 1")
    with pytest.raises(dbguard.DbguardError, match="commit or roll back"):
        dbguard.backfill(conn, "metadata")


def test_a_start_at_the_end_of_the_calendar_goes_to_review_and_later_calls_are_still_backfilled(conn, legacy, world):
    last = legacy_call(legacy, world, {"starts_at": "9999-12-31T23:59:00+00:00", "service_name": "Haircut"})
    later = legacy_call(legacy, world, {"starts_at": "2026-03-02T10:00:00Z", "service_name": "Haircut"})
    result = dbguard.backfill_appointments(conn, batch_size=1)
    assert appointment_of(conn, later) is not None
    assert appointment_of(conn, last) is None
    problem = conn.execute("SELECT context->>'problem' FROM dbguard.manual_review_queue WHERE call_id = %s "
                           "AND reason = 'booking_details_unparseable'", (last,)).fetchone()
    assert problem is not None and "last representable date" in problem[0], result.problems
