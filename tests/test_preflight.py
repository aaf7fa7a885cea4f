"""Preflight: on an existing database, every problem that would stop the migrations is
found before anything is applied and reported together, each with table, column,
offending rows and the fix."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

import dbguard
from dbguard.errors import MigrationFailed
from dbguard.preflight import preflight, unvalidated_checks

LEGACY = """
CREATE TABLE public.calls (id bigserial PRIMARY KEY, retell_call_id text, booking_confirmed integer,
                           booking_details json);
CREATE TABLE public.appointments (id bigserial PRIMARY KEY, call_id bigint, starts_at timestamp,
                                  calcom_v2_booking_id varchar(64));
CREATE TABLE public.leads (email text);
INSERT INTO public.calls (id, retell_call_id, booking_confirmed) VALUES
    (1, 'call_A', 1), (2, 'call_A', 0), (3, 'call_B', 2), (4, 'call_B', 1), (5, 'call_B', NULL), (6, 'call_C', 1);
INSERT INTO public.appointments (call_id, starts_at, calcom_v2_booking_id) VALUES
    (1, now(), 'bk-1'), (6, now(), 'bk-1'), (404, now(), 'bk-2'), (405, now(), NULL);
INSERT INTO public.leads VALUES ('a@example.org');
"""
quiet = {"notify": lambda _msg: None}


def _dbguard_installed(dsn: str) -> bool:
    with psycopg.connect(dsn) as c:
        return c.execute("SELECT to_regnamespace('dbguard') IS NOT NULL").fetchone()[0]


def test_every_blocking_problem_is_reported_together_and_nothing_is_applied(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute(LEGACY)

    with pytest.raises(MigrationFailed) as err:
        dbguard.migrate(blank_dsn, **quiet)

    message = str(err.value)
    assert "preflight found 5 problem(s)" in message and "nothing was applied" in message
    assert "public.calls.booking_confirmed: is integer; dbguard needs boolean; 6 row(s) (e.g. '0', '1', '2')" in message
    assert "ALTER TABLE public.calls ALTER COLUMN booking_confirmed TYPE boolean USING booking_confirmed <> 0" in message
    assert "public.calls.booking_details: is json; dbguard needs jsonb" in message
    assert "public.leads: the table has no id column" in message and "ADD COLUMN id bigserial PRIMARY KEY" in message
    assert ("public.calls.retell_call_id: 2 value(s) occur more than once" in message
            and "call_B in rows 3, 4, 5" in message and "call_A in rows 1, 2" in message)
    assert "public.appointments.calcom_v2_booking_id: 1 value(s)" in message and "bk-1 in rows 1, 2" in message
    assert "timestamp" not in message and "varchar" not in message, "usable types are not problems"
    assert not _dbguard_installed(blank_dsn)


def test_a_dangling_call_id_is_a_warning_and_a_detection_rule_after_the_install(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute("CREATE TABLE public.calls (id bigserial PRIMARY KEY)")
        c.execute("CREATE TABLE public.appointments (id bigserial PRIMARY KEY, call_id bigint)")
        c.execute("INSERT INTO public.calls (id) VALUES (1)")
        c.execute("INSERT INTO public.appointments (id, call_id) VALUES (10, 1), (11, 404), (12, 405), (13, NULL)")
        [warning] = preflight(c)
    assert not warning.blocking and (warning.rows, warning.examples) == (2, ["id 11", "id 12"])
    messages: list[str] = []

    dbguard.migrate(blank_dsn, notify=messages.append)

    assert any(m.startswith("warning: public.appointments.call_id: names a calls row that does not exist; 2 row(s)")
               for m in messages)
    with psycopg.connect(blank_dsn) as c:
        found = dbguard.check(c, rules=["appointment_missing_call"])
        assert [(v["entity_id"], v["details"]["missing_call_id"]) for v in found.violations] == [(11, 404), (12, 405)]


def test_the_dry_run_shows_the_preflight_problems(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute("CREATE TABLE public.calls (id bigserial PRIMARY KEY, booking_confirmed integer)")
    done = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", blank_dsn, "migrate", "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("-- PREFLIGHT: public.calls.booking_confirmed: is integer; dbguard needs boolean")
    assert not _dbguard_installed(blank_dsn)


def test_a_migrated_database_passes_its_own_preflight(conn):
    assert preflight(conn) == []


@pytest.mark.commits
def test_validating_a_check_waits_within_the_lock_timeout_and_does_not_hold_writers_up(conn, dsn):
    """VALIDATE CONSTRAINT needs SHARE UPDATE EXCLUSIVE: a session holding a conflicting lock makes
    migrate give up after --lock-timeout, naming the constraint; an open writing transaction does
    not stop it."""
    conn.execute("ALTER TABLE public.appointments DROP CONSTRAINT dbguard_appointments_ends_after_starts")
    conn.execute("ALTER TABLE public.appointments ADD CONSTRAINT dbguard_appointments_ends_after_starts "
                 "CHECK (ends_at > starts_at) NOT VALID")
    conn.commit()
    writer = psycopg.connect(dsn)
    writer.execute("INSERT INTO public.appointments (starts_at, ends_at) VALUES (now(), now() + interval '1 h')")
    holder = psycopg.connect(dsn)
    holder.execute("LOCK TABLE public.appointments IN SHARE UPDATE EXCLUSIVE MODE")
    try:
        with pytest.raises(MigrationFailed) as err:
            dbguard.migrate(dsn, lock_timeout="300ms", **quiet)
        assert "VALIDATE CONSTRAINT public.appointments.dbguard_appointments_ends_after_starts" in str(err.value)
        assert "--lock-timeout" in str(err.value)
    finally:
        holder.close()

    # The writer's transaction is still open (ROW EXCLUSIVE): validation does not wait for it.
    result = dbguard.migrate(dsn, lock_timeout="300ms", **quiet)
    assert result.validated == ["public.appointments.dbguard_appointments_ends_after_starts"]
    writer.commit()
    writer.close()
    assert conn.execute("SELECT convalidated FROM pg_constraint "
                        "WHERE conname = 'dbguard_appointments_ends_after_starts'").fetchone() == (True,)


def test_a_lookalike_check_with_a_function_of_its_own_is_never_evaluated_by_migrate(conn):
    """A table's owner could put a constraint under one of dbguard's names whose expression calls a
    function of theirs; migrate (often a superuser) neither counts its offenders nor validates it."""
    conn.execute("ALTER TABLE public.calls DROP CONSTRAINT dbguard_calls_customer_link_confidence_range")
    conn.execute("CREATE FUNCTION public.sneaky(numeric) RETURNS boolean LANGUAGE sql AS 'SELECT true'")
    conn.execute("ALTER TABLE public.calls ADD CONSTRAINT dbguard_calls_customer_link_confidence_range "
                 "CHECK (public.sneaky(customer_link_confidence)) NOT VALID")
    conn.execute("ALTER TABLE public.appointments DROP CONSTRAINT dbguard_appointments_ends_after_starts")
    conn.execute("ALTER TABLE public.appointments ADD CONSTRAINT dbguard_appointments_ends_after_starts "
                 "CHECK (ends_at > starts_at) NOT VALID")
    assert [(p.table, p.column, p.rows) for p in unvalidated_checks(conn)] == \
        [("public.appointments", "dbguard_appointments_ends_after_starts", 0)]
