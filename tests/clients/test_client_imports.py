"""A legacy export loaded in two transactions, as it is usually done: first the calls (with
their booking_confirmed claims), then their appointments, each with COPY ... FROM STDIN
through a real client (or psql's \\copy), in correct mode. The claims of calls whose
appointment never arrives are taken back; those whose appointment arrives must end intact."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pytest
from psycopg.rows import dict_row

from .harness import CLIENTS, run, unavailable

CALLS = 10
ARRIVING = 7  # calls 0..6 get their appointment in the second file, 7..9 never do
FIRST_ID = 910_001  # the legacy system's own ids, far from the sequence's
START = dt.datetime(2030, 5, 6, 9, 0, tzinfo=dt.timezone.utc)
CALL_COLUMNS = ["id", "company_id", "retell_call_id", "direction", "booking_id", "booking_confirmed",
                "appointment_made", "session_outcome"]
APPOINTMENT_COLUMNS = ["company_id", "call_id", "starts_at", "ends_at", "status", "source", "calcom_v2_booking_id"]


@pytest.fixture(params=(*CLIENTS, "psql"))
def importer(request) -> str:
    reason = "psql is not installed (apt-get install postgresql-client)" if request.param == "psql" and \
        not shutil.which("psql") else None if request.param == "psql" else unavailable(request.param)
    if reason:
        pytest.skip(f"{request.param}: {reason}")
    return request.param


def psql_copy(login: dict, table: str, columns: list[str], rows: list[list], tmp_path) -> dict:
    """psql's \\copy of a tab-separated file, one transaction (ON_ERROR_STOP)."""
    path = tmp_path / f"{table}.tsv"
    path.write_text("".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in rows))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=login["host"], PGPORT=str(login["port"]), PGDATABASE=login["dbname"], PGUSER=login["user"],
               PGPASSWORD=login["password"])
    done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                           f"\\copy public.{table} ({', '.join(columns)}) FROM '{path}'"],
                          env=env, capture_output=True, text=True, timeout=60)
    return {"error": None if done.returncode == 0 else {"message": done.stderr}}


def load(importer: str, login: dict, table: str, columns: list[str], rows: list[list], tmp_path) -> None:
    if importer == "psql":
        result = psql_copy(login, table, columns, rows, tmp_path)
    else:
        result = run(importer, login, "copy", table=table, columns=columns, rows=rows)
    assert result["error"] is None, result["error"]


def two_phase_import(conn, importer, login, all_rules, company_id, tmp_path) -> tuple[list[int], list[int]]:
    """Load the calls, commit, then load the appointments of the first ARRIVING of them, commit.
    (ids of the calls whose appointment arrived, ids of the others)."""
    all_rules("correct")
    ids = [FIRST_ID + n for n in range(CALLS)]
    load(importer, login, "calls", CALL_COLUMNS,
         [[i, company_id, f"legacy-{i}", "inbound", f"cal-{i}", "t", "t", "appointment_booked"] for i in ids],
         tmp_path)
    appointments = []
    for n, i in enumerate(ids[:ARRIVING]):
        at = START + dt.timedelta(hours=n)
        appointments.append([company_id, i, at.isoformat(), (at + dt.timedelta(minutes=30)).isoformat(),
                             "scheduled", "retell_webhook", f"cal-{i}"])
    load(importer, login, "appointments", APPOINTMENT_COLUMNS, appointments, tmp_path)
    conn.rollback()
    return ids[:ARRIVING], ids[ARRIVING:]


def calls(conn, ids: list[int]) -> dict[int, dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return {r["id"]: r for r in cur.execute("SELECT * FROM public.calls WHERE id = ANY(%s)", (ids,))}


def open_reviews(conn, ids: list[int]) -> list[tuple[int, int, str]]:
    return conn.execute("SELECT call_id, priority, reason FROM dbguard.manual_review_queue "
                        "WHERE call_id = ANY(%s) AND status IN ('pending', 'in_progress') ORDER BY call_id",
                        (ids,)).fetchall()


def test_a_two_phase_import_keeps_every_appointment_and_takes_back_the_claims_that_stay_unbooked(
        conn, importer, login, all_rules, company_id, tmp_path):
    arrived, missing = two_phase_import(conn, importer, login, all_rules, company_id, tmp_path)
    linked = conn.execute("SELECT call_id FROM public.appointments ORDER BY call_id").fetchall()
    assert [r[0] for r in linked] == arrived
    rows = calls(conn, arrived + missing)
    for i in arrived:
        assert (rows[i]["appointment_link_status"], rows[i]["appointment_made"]) == ("linked", True), rows[i]
    for i in missing:
        assert (rows[i]["booking_confirmed"], rows[i]["appointment_made"], rows[i]["session_outcome"]) == \
            (False, False, "creation_failed"), rows[i]
    assert open_reviews(conn, missing) == [(i, 1, "appointment_validation_failed") for i in missing]


def test_a_two_phase_import_restores_the_claim_of_every_call_whose_appointment_arrives(
        conn, importer, login, all_rules, company_id, tmp_path):
    arrived, _ = two_phase_import(conn, importer, login, all_rules, company_id, tmp_path)
    rows = calls(conn, arrived)
    assert [(i, rows[i]["booking_confirmed"], rows[i]["appointment_made"], rows[i]["session_outcome"])
            for i in arrived] == [(i, True, True, "appointment_booked") for i in arrived]
    assert [r for r in open_reviews(conn, arrived) if r[1] == 1] == []


def test_a_two_phase_import_of_old_rows_keeps_their_own_times_in_the_history(
        conn, importer, login, all_rules, company_id, tmp_path):
    """Old rows bring their own created_at / cancelled_at: the history events carry those times
    (never one in the future, never a cancellation before the creation), not the import's; an
    imported cancelled row keeps its cancelled_at."""
    all_rules("correct")
    started = conn.execute("SELECT now()").fetchone()[0]
    conn.rollback()
    day = dt.datetime(2024, 1, 10, 8, 0, tzinfo=dt.timezone.utc)
    ids = [FIRST_ID + n for n in range(5)]
    load(importer, login, "calls", CALL_COLUMNS + ["created_at"],
         [[i, company_id, f"legacy-{i}", "inbound", f"cal-{i}", "t", "t", "appointment_booked",
           (day - dt.timedelta(hours=1)).isoformat()] for i in ids], tmp_path)
    future = dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    # (status, created_at, status_changed_at, cancelled_at, cancelled_by), one per call
    old = [("scheduled", day, day, None, None),
           ("cancelled", day, None, day + dt.timedelta(days=10), "admin_user"),
           ("cancelled", day, day + dt.timedelta(days=15), None, None),
           ("scheduled", future, None, None, None),
           ("cancelled", day, None, day - dt.timedelta(days=40), None)]
    load(importer, login, "appointments",
         APPOINTMENT_COLUMNS + ["created_at", "updated_at", "status_changed_at", "cancelled_at", "cancelled_by"],
         [[company_id, i, START.isoformat(), (START + dt.timedelta(minutes=30)).isoformat(), status,
           "retell_webhook", f"cal-{i}", created.isoformat(), created.isoformat(),
           changed and changed.isoformat(), cancelled and cancelled.isoformat(), by]
          for i, (status, created, changed, cancelled, by) in zip(ids, old)], tmp_path)
    conn.rollback()

    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT call_id, id, cancelled_at, cancelled_by FROM public.appointments WHERE call_id = ANY(%s)", (ids,))}
    assert rows[ids[1]][1:] == (day + dt.timedelta(days=10), "admin_user"), "an imported cancelled_at is kept"
    assert rows[ids[2]][1] == day + dt.timedelta(days=15), "cancelled_at from the row's status_changed_at"
    assert rows[ids[4]][1] == day - dt.timedelta(days=40)

    def history(call_id: int) -> list[tuple]:
        return conn.execute("SELECT event, occurred_at, actor FROM public.appointment_events "
                            "WHERE appointment_id = %s ORDER BY occurred_at, id", (rows[call_id][0],)).fetchall()

    assert history(ids[0]) == [("created", day, "retell_ai")]
    assert history(ids[1]) == [("created", day, "retell_ai"), ("cancelled", day + dt.timedelta(days=10), "admin_user")]
    assert history(ids[2]) == [("created", day, "retell_ai"), ("cancelled", day + dt.timedelta(days=15), "system")]
    [(event, at, _actor)] = history(ids[3])
    now = conn.execute("SELECT now()").fetchone()[0]
    assert event == "created" and started <= at <= now, "a created_at in the future is recorded as the import's time"
    assert history(ids[4]) == [("created", day, "retell_ai"), ("cancelled", day, "system")], \
        "a cancellation is never recorded before the creation"
    assert conn.execute("SELECT count(*) FROM public.appointment_events WHERE occurred_at IS NULL OR occurred_at > now()"
                        ).fetchone()[0] == 0
    # When the history was written stays known next to the rows' own times.
    recorded = conn.execute("SELECT DISTINCT (details ->> 'recorded_at')::timestamptz FROM public.appointment_events "
                            "WHERE appointment_id = ANY(%s) AND occurred_at < %s",
                            ([r[0] for r in rows.values()], started)).fetchall()
    assert len(recorded) == 1 and started <= recorded[0][0] <= now
