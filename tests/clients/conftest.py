"""Fixtures of the real-client tests: a LOGIN role made the documented way, the
client to run (skipped with the reason when it is not installed here), rule
modes, and a committed company for the clients to write to."""

from __future__ import annotations

import secrets

import psycopg
import pytest
from psycopg import sql

import dbguard

from .harness import CLIENTS, unavailable


@pytest.fixture(params=CLIENTS)
def client(request) -> str:
    reason = unavailable(request.param)
    if reason:
        pytest.skip(f"{request.param}: {reason}")
    return request.param


@pytest.fixture
def login(conn, make_role) -> dict:
    """A non-superuser LOGIN role in the application role, as docs/operations.md ("Roles and grants") tells a DBA:
    ``dbguard roles --app-role NAME``, then ``CREATE ROLE login LOGIN IN ROLE NAME``."""
    app, user = make_role("app"), make_role("login")
    dbguard.roles(conn, app=app)
    password = secrets.token_hex(12)
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
        sql.Identifier(user), sql.Literal(password), sql.Identifier(app)))
    conn.commit()
    info = conn.info
    return {"host": info.host, "port": info.port, "dbname": info.dbname, "user": user, "password": password}


@pytest.fixture
def all_rules(conn):
    """all_rules(mode): every installed rule in ``mode``, committed (``dbguard.set_modes``: one recompile)."""
    def _set(mode: str) -> None:
        rules = conn.execute("SELECT rule FROM dbguard.installed_rules ORDER BY rule").fetchall()
        dbguard.set_modes(conn, {rule: mode for (rule,) in rules})
        conn.commit()
    return _set


@pytest.fixture
def company_id(conn: psycopg.Connection) -> int:
    company_id = conn.execute("INSERT INTO public.companies (name) VALUES ('Praxis') RETURNING id").fetchone()[0]
    conn.commit()
    return company_id
