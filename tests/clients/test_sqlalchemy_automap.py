"""SQLAlchemy automap reflects every table of a database dbguard is installed in without a
single warning, so that an application that runs with warnings as errors starts: on a fresh
install, and on a legacy database once its old rows satisfy dbguard's CHECK constraints (which
are added NOT VALID so that legacy rows do not block the install, and validated by migrate as
soon as no row breaks them)."""

from __future__ import annotations

import warnings

import psycopg
import pytest

import dbguard

sqlalchemy = pytest.importorskip("sqlalchemy")
from sqlalchemy.ext.automap import automap_base  # noqa: E402

LEGACY = """
CREATE TABLE public.calls (id bigserial PRIMARY KEY, retell_call_id text, customer_link_confidence numeric(5,2));
CREATE TABLE public.appointments (id bigserial PRIMARY KEY, call_id bigint, starts_at timestamptz,
                                  ends_at timestamptz);
INSERT INTO public.calls (id, retell_call_id, customer_link_confidence) VALUES (1, 'a', 80), (2, 'b', 250);
INSERT INTO public.appointments (call_id, starts_at, ends_at) VALUES
    (1, '2024-03-01 09:00Z', '2024-03-01 09:30Z'),
    (2, '2024-03-02 09:00Z', '2024-03-02 08:00Z'),
    (2, '2024-03-03 09:00Z', '2024-03-03 09:00Z');
"""


def automap(dsn: str) -> list[str]:
    """automap_base().prepare() over the database under warnings.simplefilter("error"); the
    mapped class names."""
    # The application's own connection string; SQLAlchemy's psycopg dialect on it.
    engine = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            base = automap_base()
            base.prepare(autoload_with=engine)
        return sorted(base.classes.keys())
    finally:
        engine.dispose()


def not_valid(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as c:
        return [r[0] for r in c.execute(
            "SELECT conrelid::regclass || '.' || conname FROM pg_catalog.pg_constraint "
            "WHERE contype = 'c' AND NOT convalidated AND conname LIKE 'dbguard%' ORDER BY 1")]


def test_automap_reflects_a_fresh_install_without_warnings(blank_dsn):
    result = dbguard.migrate(blank_dsn, notify=lambda _m: None)
    assert sorted(result.validated) == [
        "public.appointments.dbguard_appointments_ends_after_starts",
        "public.appointments.dbguard_appointments_not_own_predecessor",
        "public.calcom_host_mappings.dbguard_host_mappings_confidence_range",
        "public.calls.dbguard_calls_customer_link_confidence_range"]
    assert not_valid(blank_dsn) == []
    assert {"appointments", "calls", "leads"} <= set(automap(blank_dsn))


def test_a_legacy_database_keeps_broken_checks_not_valid_names_them_and_validates_them_once_clean(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute(LEGACY)
    said: list[str] = []

    result = dbguard.migrate(blank_dsn, notify=said.append)

    assert result.not_valid == ["public.appointments.dbguard_appointments_ends_after_starts",
                                "public.calls.dbguard_calls_customer_link_confidence_range"]
    assert not_valid(blank_dsn) == ["appointments.dbguard_appointments_ends_after_starts",
                                    "calls.dbguard_calls_customer_link_confidence_range"]
    assert "public.appointments.dbguard_appointments_not_own_predecessor" in result.validated
    [ends] = [m for m in said if "dbguard_appointments_ends_after_starts" in m]
    assert ends.startswith("warning: public.appointments.dbguard_appointments_ends_after_starts: "
                           "CHECK ((ends_at > starts_at)) is NOT VALID: 2 existing row(s) break it; 2 row(s) "
                           "(e.g. id 2, id 3)"), ends
    assert "run dbguard migrate again" in ends and "WHERE ((ends_at > starts_at)) IS FALSE" in ends
    [confidence] = [m for m in said if "dbguard_calls_customer_link_confidence_range" in m]
    assert "1 existing row(s) break it" in confidence and "id 2" in confidence
    # What an application running with warnings as errors trips over while a constraint is NOT VALID.
    with pytest.raises(sqlalchemy.exc.SAWarning, match="dialect_options"):
        automap(blank_dsn)

    # Old rows are still there, untouched; new ones are held to the constraint already.
    with psycopg.connect(blank_dsn) as c:
        assert c.execute("SELECT count(*) FROM public.appointments WHERE ends_at <= starts_at").fetchone()[0] == 2
        with pytest.raises(psycopg.errors.CheckViolation):
            c.execute("INSERT INTO public.appointments (starts_at, ends_at) VALUES (now(), now())")

    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute("UPDATE public.appointments SET ends_at = starts_at + interval '30 min' WHERE ends_at <= starts_at")
        c.execute("UPDATE public.calls SET customer_link_confidence = 100 WHERE customer_link_confidence > 100")
    again = dbguard.migrate(blank_dsn, notify=lambda _m: None)

    assert again.applied == [] and again.not_valid == []
    assert again.validated == ["public.appointments.dbguard_appointments_ends_after_starts",
                               "public.calls.dbguard_calls_customer_link_confidence_range"]
    assert not_valid(blank_dsn) == []
    assert {"appointments", "calls"} <= set(automap(blank_dsn))
