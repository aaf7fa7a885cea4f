"""The attacker: a real LOGIN role, member of the application role that
``dbguard.roles(conn, app=...)`` creates, connected on its own (trust auth on
localhost), as an application server would be."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

import dbguard


class App:
    """The application role, its login role and connections as that login."""

    def __init__(self, role: str, login: str, dsn: str, connect):
        self.role, self.login, self._dsn, self._connect = role, login, dsn, connect

    def connect(self, **kwargs) -> psycopg.Connection:
        params = conninfo_to_dict(self._dsn)
        params["user"] = self.login
        params.pop("password", None)
        return self._connect(make_conninfo(**params), **kwargs)


@pytest.fixture
def app(conn, dsn, make_role, connect) -> App:
    role, login = make_role("app"), make_role("login")
    dbguard.roles(conn, app=role)
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(sql.Identifier(login), sql.Identifier(role)))
    conn.commit()
    return App(role, login, dsn, connect)


@pytest.fixture
def attacker(app) -> psycopg.Connection:
    """An autocommit connection as the application's login role."""
    session = app.connect(autocommit=True)
    assert session.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
                           ).fetchone() == (app.login, False)
    return session
