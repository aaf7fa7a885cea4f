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
from dbguard.preflight import preflight

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
