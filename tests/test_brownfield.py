"""Installing onto a database whose tables already exist, with rows."""

from __future__ import annotations

import psycopg
import pytest

import dbguard
from dbguard.errors import MigrationFailed

quiet = {"notify": lambda _msg: None}
ROWS = 3000

LEGACY_SCHEMA = """
CREATE TABLE public.calls (
    id bigserial PRIMARY KEY,
    retell_call_id text,
    session_outcome text,
    booking_confirmed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.appointments (
    id bigserial PRIMARY KEY,
    call_id bigint,
    starts_at timestamptz,
    status text,
    source text,
    notes text
);
INSERT INTO public.calls (retell_call_id, session_outcome, booking_confirmed, created_at)
SELECT 'call_' || g, CASE WHEN g % 3 = 0 THEN 'appointment_booked' END, g % 2 = 0,
       '2025-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, %(n)s) g;
INSERT INTO public.appointments (call_id, starts_at, status, source, notes)
SELECT g, '2025-06-01'::timestamptz + g * interval '1 hour',
       CASE WHEN g % 5 = 0 THEN 'cancelled' ELSE 'scheduled' END,
       CASE WHEN g % 2 = 0 THEN 'retell_webhook' ELSE 'cal.com' END, 'note ' || g
  FROM generate_series(1, %(n)s) g;
"""

CALL_COLS = "id, retell_call_id, session_outcome, booking_confirmed, created_at"
APPT_COLS = "id, call_id, starts_at, status, source, notes"


def _legacy(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(LEGACY_SCHEMA.replace("%(n)s", str(ROWS)))


def _dump(dsn: str) -> tuple[list, list, dict]:
    with psycopg.connect(dsn) as conn:
        calls = conn.execute(f"SELECT {CALL_COLS} FROM public.calls ORDER BY id").fetchall()
        appts = conn.execute(f"SELECT {APPT_COLS} FROM public.appointments ORDER BY id").fetchall()
        files = dict(conn.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE oid IN ('public.calls'::regclass, "
            "'public.appointments'::regclass)").fetchall())
    return calls, appts, files


def _columns(dsn: str, table: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
            (table,))}


def test_existing_rows_survive_and_missing_columns_are_added(blank_dsn):
    _legacy(blank_dsn)
    calls, appts, files = _dump(blank_dsn)

    dbguard.migrate(blank_dsn, **quiet)

    calls_after, appts_after, files_after = _dump(blank_dsn)
    assert calls_after == calls and len(calls) == ROWS
    assert appts_after == appts and len(appts) == ROWS
    assert files_after == files, "no statement may rewrite an existing table"
    assert {"direction", "appointment_made", "appointment_link_status", "customer_link_confidence",
            "booking_details", "updated_at"} <= _columns(blank_dsn, "calls")
    assert {"created_by", "booking_source", "cancelled_by", "rescheduled_from_id", "calcom_v2_booking_id",
            "metadata"} <= _columns(blank_dsn, "appointments")


def test_added_columns_leave_existing_rows_unknown_not_invented(blank_dsn):
    _legacy(blank_dsn)

    dbguard.migrate(blank_dsn, **quiet)

    with psycopg.connect(blank_dsn) as conn:
        link, made = conn.execute(
            "SELECT count(appointment_link_status), bool_or(appointment_made) FROM public.calls").fetchone()
        assert link == 0, "legacy calls must not be claimed 'unlinked' without looking"
        assert made is False
        new = conn.execute("INSERT INTO public.calls (retell_call_id) VALUES ('new') "
                           "RETURNING appointment_link_status, direction").fetchone()
        assert new == ("unlinked", "inbound")


def test_the_new_constraints_bind_new_rows_but_do_not_reject_legacy_rows(blank_dsn):
    _legacy(blank_dsn)
    with psycopg.connect(blank_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE public.appointments ADD COLUMN ends_at timestamptz")
        conn.execute("UPDATE public.appointments SET ends_at = starts_at - interval '1 hour' WHERE id = 1")

    dbguard.migrate(blank_dsn, **quiet)

    with psycopg.connect(blank_dsn) as conn:
        assert conn.execute("SELECT ends_at < starts_at FROM public.appointments WHERE id = 1").fetchone()[0]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO public.appointments (starts_at, ends_at) VALUES (now(), now() - interval '1 h')")


@pytest.mark.slow
def test_rollback_keeps_tables_dbguard_did_not_create(blank_dsn):
    _legacy(blank_dsn)
    calls, appts, _ = _dump(blank_dsn)
    dbguard.migrate(blank_dsn, **quiet)

    dbguard.rollback(blank_dsn, count=None, **quiet)

    calls_after, appts_after, _ = _dump(blank_dsn)
    assert (calls_after, appts_after) == (calls, appts)
    with psycopg.connect(blank_dsn) as conn:
        assert conn.execute("SELECT to_regclass('public.leads')").fetchone()[0] is None
        assert conn.execute("SELECT to_regnamespace('dbguard')").fetchone()[0] is None


def test_rollback_refuses_to_drop_a_table_with_rows(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO public.companies (name) VALUES ('Acme')")

    with pytest.raises(MigrationFailed) as err:
        dbguard.rollback(dsn, count=None, **quiet)

    assert "public.companies" in str(err.value) and "has rows" in str(err.value)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT name FROM public.companies").fetchone() == ("Acme",)


def test_existing_table_without_id_is_refused_with_advice(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.leads (email text)")

    with pytest.raises(MigrationFailed) as err:
        dbguard.migrate(blank_dsn, **quiet)

    assert "public.leads: the table has no id column" in str(err.value)
    assert "ADD COLUMN id" in str(err.value)
