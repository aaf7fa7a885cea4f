"""Fixtures for the operations tests: throw-away roles, the circuit_breakers
view rendered from its template, legacy rows written past the triggers."""

from __future__ import annotations

import uuid

import jinja2
import psycopg
import pytest
from psycopg import sql

from dbguard.resources import sql_dir


def render_view(name: str, domain_schema: str = "public") -> str:
    """The SELECT body of a dbguard_audit view template (the convention agreed with the renderer)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(sql_dir() / "views")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template(f"{name}.sql.j2").render(domain_schema=sql.Identifier(domain_schema).as_string(None))


def create_view(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("CREATE OR REPLACE VIEW {} AS\n").format(sql.Identifier("dbguard_audit", name))
                 + sql.SQL(render_view(name)))


@pytest.fixture
def circuit_breakers_view(conn):
    create_view(conn, "circuit_breakers")
    conn.commit()


@pytest.fixture
def make_role(conn, dsn):
    """``make_role('app')`` → a unique role name, dropped (with its grants) after the test.

    Roles are cluster-wide and the tests may share a server: names are unique
    and everything the role owns is handed back before it is dropped."""
    names: list[str] = []

    def _make(kind: str) -> str:
        name = f"dbguard_t_{kind}_{uuid.uuid4().hex[:8]}"
        names.append(name)
        return name

    yield _make
    conn.rollback()
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("RESET ROLE")
        for name in names:
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                role = sql.Identifier(name)
                admin.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(role))
                admin.execute(sql.SQL("DROP OWNED BY {}").format(role))
                admin.execute(sql.SQL("DROP ROLE {}").format(role))


@pytest.fixture
def legacy(conn):
    """Run SQL as legacy data: triggers (and deferred rules) bypassed, committed."""
    def _legacy(query, params=None):
        conn.execute("SET LOCAL session_replication_role = replica")
        cur = conn.execute(query, params)
        rows = cur.fetchall() if cur.description else None
        conn.commit()
        return rows
    return _legacy
