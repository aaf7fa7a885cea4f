"""Fixtures for the appointment lifecycle rules: a company, leads, appointments."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql


def insert(conn: psycopg.Connection, table: str, **values):
    """INSERT one row into public.<table> and return it as a dict."""
    cols = list(values)
    query = sql.SQL("INSERT INTO public.{} ({}) VALUES ({}) RETURNING *").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, cols)),
        sql.SQL(", ").join(sql.Placeholder() * len(cols))) if cols else \
        sql.SQL("INSERT INTO public.{} DEFAULT VALUES RETURNING *").format(sql.Identifier(table))
    cur = conn.execute(query, list(values.values()))
    return dict(zip([d.name for d in cur.description], cur.fetchone()))


def update(conn: psycopg.Connection, table: str, row_id, **values):
    """UPDATE public.<table> SET ... WHERE id = row_id and return the row as a dict."""
    query = sql.SQL("UPDATE public.{} SET {} WHERE id = %s RETURNING *").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in values))
    cur = conn.execute(query, [*values.values(), row_id])
    return dict(zip([d.name for d in cur.description], cur.fetchone()))


def row(conn: psycopg.Connection, table: str, row_id) -> dict:
    cur = conn.execute(sql.SQL("SELECT * FROM public.{} WHERE id = %s").format(sql.Identifier(table)), (row_id,))
    return dict(zip([d.name for d in cur.description], cur.fetchone()))


def events(conn: psycopg.Connection, appointment_id) -> list[dict]:
    cur = conn.execute("SELECT * FROM public.appointment_events WHERE appointment_id = %s ORDER BY id", (appointment_id,))
    return [dict(zip([d.name for d in cur.description], r)) for r in cur.fetchall()]


def alerts(conn: psycopg.Connection, rule: str) -> list[dict]:
    cur = conn.execute("SELECT * FROM dbguard.data_consistency_alerts WHERE rule = %s ORDER BY id", (rule,))
    return [dict(zip([d.name for d in cur.description], r)) for r in cur.fetchall()]


def set_acting(conn: psycopg.Connection, **settings) -> None:
    """SET LOCAL dbguard.<key> = value for the current transaction."""
    for key, value in settings.items():
        conn.execute("SELECT set_config(%s, %s, true)", (f"dbguard.{key}", str(value)))


@pytest.fixture
def company(conn) -> int:
    return insert(conn, "companies", name="Praxis")["id"]


@pytest.fixture
def make_lead(conn, company):
    def _make(**values) -> int:
        return insert(conn, "leads", company_id=company, **values)["id"]
    return _make
