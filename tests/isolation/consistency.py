"""Checks shared by the isolation specs, the soak test and the fault tests."""

from __future__ import annotations

import psycopg
import pytest

import dbguard

# The catalog rules a booking workload can break; each must report 0 offenders.
BOOKING_RULES = ("link_status_mismatch", "made_without_appointment", "confirmed_without_appointment",
                 "phantom_booking", "orphaned_appointment")


def assert_catalog_clean(conn: psycopg.Connection, rules: tuple[str, ...] | list[str] = BOOKING_RULES) -> None:
    """dbguard.check (read only) finds no offender of ``rules``."""
    result = dbguard.check(conn, record=False, limit=0, rules=list(rules))
    found = {r.rule: r.count for r in result.rules if r.count}
    conn.rollback()
    assert not found, f"catalog violations: {found}"


def installed_rules(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("SELECT rule FROM dbguard.installed_rules").fetchall()
    conn.rollback()
    return {r[0] for r in rows}


def require_rules(conn: psycopg.Connection, *rules: str) -> None:
    """Skip when a rule of the appointment lifecycle is not installed in this build."""
    missing = set(rules) - installed_rules(conn)
    if missing:
        pytest.skip(f"rules not installed in this build: {sorted(missing)}")


def assert_calls_follow_appointments(conn: psycopg.Connection) -> None:
    """Every call's link columns describe the appointments that exist for it
    (the newest one represents the call; a rolled-back claim stays 'creation_failed')."""
    bad = conn.execute(
        """SELECT c.id, c.appointment_id, c.appointment_made, c.appointment_link_status, c.booking_confirmed,
                  a.newest
             FROM public.calls c
             LEFT JOIN LATERAL (SELECT max(id) AS newest FROM public.appointments WHERE call_id = c.id) a ON true
            WHERE c.appointment_id IS DISTINCT FROM a.newest
               OR c.appointment_made IS DISTINCT FROM (a.newest IS NOT NULL)
               OR (a.newest IS NOT NULL AND c.appointment_link_status IS DISTINCT FROM 'linked')
               OR (a.newest IS NULL AND c.appointment_link_status NOT IN ('unlinked', 'creation_failed'))
               OR (c.booking_confirmed AND a.newest IS NULL)""").fetchall()
    conn.rollback()
    assert not bad, f"calls that disagree with their appointments: {bad}"
