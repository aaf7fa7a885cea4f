"""Tests that never commit share one migrated database, each in a transaction that is rolled back.

Cloning a database from the migrated template costs about half a second per test;
a test that only writes and reads on ``conn`` inside one transaction does not
need that: it gets a fresh connection to one shared, migrated database, and its
transaction is discarded at the end (a fresh connection per test, so no session
setting outlives its test). Everything else keeps a clone of its own
(``tests/plugins/dbserver.py``):

- tests that use another session or a process on the test's database
  (``dsn``, ``connect``, ``blank_dsn``, and every fixture built on them);
- tests that commit: a ``commit()`` call, an ``autocommit`` connection, found in
  the test, in its fixtures, or in the helpers of ``tests/`` they call (read from
  their source, see :func:`commits`), or a test marked ``@pytest.mark.commits``
  (for a commit made elsewhere, e.g. by a library function's own top-level
  ``conn.transaction()`` block).

A test classified wrongly cannot pass silently: a commit on the shared database
fails the test (``conn.commit()``, ``autocommit``, a top-level
``conn.transaction()`` block that would commit), and after every test the shared
database is checked for committed rows (any row, in any table or catalog of the
database, newer than the session's start, or a changed row count); a database
found changed fails that test and is rebuilt for the next one.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.pq import TransactionStatus

# Fixtures that reach the test's database from another session or process.
OTHER_SESSION_FIXTURES = frozenset({"dsn", "connect", "blank_dsn"})

# Catalogs that a committed DDL statement or GRANT changes (they are per database).
WATCHED_CATALOGS = ("pg_class", "pg_attribute", "pg_proc", "pg_trigger", "pg_constraint",
                    "pg_namespace", "pg_type", "pg_index", "pg_policy", "pg_extension")

MARKER_ADVICE = ("mark it @pytest.mark.commits so that it gets a database of its own "
                 "(tests/plugins/rolled_back.py)")


# --- which tests need a database of their own ---------------------------------------------------

def _commit_calls(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("commit", "set_autocommit"):
                return True
            if any(kw.arg == "autocommit" for kw in node.keywords):
                return True
        elif isinstance(node, ast.Attribute) and node.attr == "autocommit" and isinstance(node.ctx, ast.Store):
            return True
    return False


def _called(tree: ast.AST, namespace: dict) -> Iterator[Callable]:
    """Functions of the tests package that ``tree`` calls by name (``f(...)`` or ``module.f(...)``)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        target = None
        if isinstance(func, ast.Name):
            target = namespace.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = namespace.get(func.value.id)
            if isinstance(owner, types.ModuleType):
                target = getattr(owner, func.attr, None)
        if isinstance(target, types.FunctionType) and (target.__module__ or "").startswith("tests"):
            yield target


_commits_cache: dict[Callable, bool] = {}


def commits(func: Callable, _seen: set | None = None) -> bool:
    """Does ``func`` (its body, or a function of ``tests/`` it calls) commit or use autocommit?"""
    func = getattr(getattr(func, "hypothesis", None), "inner_test", func)
    func = getattr(inspect.unwrap(func), "__func__", func)
    if func in _commits_cache:
        return _commits_cache[func]
    seen = _seen if _seen is not None else set()
    if func in seen:
        return False
    seen.add(func)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    result = _commit_calls(tree) or any(commits(f, seen) for f in _called(tree, func.__globals__))
    if _seen is None or result:
        _commits_cache[func] = result
    return result


def needs_own_database(item: pytest.Item) -> str | None:
    """Why ``item`` needs a database of its own, or None if it can run in a rolled-back transaction."""
    if item.get_closest_marker("commits"):
        return "marked @pytest.mark.commits"
    names = set(getattr(item, "fixturenames", ()))
    other = sorted(names & OTHER_SESSION_FIXTURES)
    if other:
        return f"uses {', '.join(other)}"
    if commits(item.function):
        return "commits"
    info = getattr(item, "_fixtureinfo", None)
    for name, defs in (info.name2fixturedefs.items() if info else ()):
        if any(commits(d.func) for d in defs if (d.func.__module__ or "").startswith("tests")):
            return f"fixture {name} commits"
    return None


# --- the connection handed to a test in a rolled-back transaction --------------------------------

class RolledBackConnection(psycopg.Connection):
    """A connection whose transaction is never committed: committing fails the test."""

    nodeid = ""
    refused: str | None = None

    def _refuse(self, what: str) -> None:
        self.refused = (f"{self.nodeid} {what}, but it runs in a transaction on the shared test "
                        f"database that is rolled back at the end: {MARKER_ADVICE}")
        pytest.fail(self.refused, pytrace=False)

    def commit(self) -> None:
        self._refuse("calls commit()")

    def set_autocommit(self, value: bool) -> None:
        if value:
            self._refuse("switches the connection to autocommit")
        super().set_autocommit(value)

    @property
    def autocommit(self) -> bool:
        return psycopg.Connection.autocommit.fget(self)

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        if value:
            self._refuse("switches the connection to autocommit")
        psycopg.Connection.autocommit.fset(self, value)

    @contextlib.contextmanager
    def transaction(self, *args, **kwargs):
        # A block entered outside a transaction commits when it ends; inside one it is a savepoint.
        outer = self.info.transaction_status == TransactionStatus.IDLE
        with super().transaction(*args, **kwargs) as tx:
            yield tx
            if outer:
                self._refuse("ends a top-level `with conn.transaction()` block, which commits")


# --- the shared database --------------------------------------------------------------------------

class SharedDatabase:
    """One database cloned from the migrated template, used by every rolled-back test of a session
    (of an xdist worker), with a check that nothing was committed to it."""

    def __init__(self, janitor, connect: Callable[[str], psycopg.Connection]):
        self.janitor = janitor
        self.connect = connect
        self.warden: psycopg.Connection | None = None
        self.create()

    @property
    def dbname(self) -> str:
        return self.janitor.dbname

    def create(self) -> None:
        self.janitor.init()
        self.warden = self.connect(self.dbname, autocommit=True)
        xid = self.warden.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
        self.start_xid = str(xid % 2**32)
        tables = self.warden.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND NOT c.relisshared AND n.nspname NOT IN ('information_schema', 'pg_toast')"
            " AND (n.nspname <> 'pg_catalog' OR c.relname = ANY(%s))"
            " AND n.nspname NOT LIKE 'pg_temp%%' AND n.nspname NOT LIKE 'pg_toast_temp%%' ORDER BY 1, 2",
            (list(WATCHED_CATALOGS),)).fetchall()
        # One round trip: per table, its row count and how many rows are newer than this session.
        self.check_query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {name}, count(*), count(*) FILTER (WHERE age(xmin) < age({xid}::xid)) FROM {table}")
            .format(name=sql.Literal(f"{schema}.{table}"), xid=sql.Literal(self.start_xid),
                    table=sql.Identifier(schema, table))
            for schema, table in tables)
        self.baseline = {name: count for name, count, _ in self.warden.execute(self.check_query)}

    def drop(self) -> None:
        if self.warden is not None:
            self.warden.close()
            self.warden = None
        self.janitor.drop()

    def changes(self) -> list[str]:
        """Tables whose committed contents differ from the start of the session."""
        found = []
        for name, count, newer in self.warden.execute(self.check_query):
            if newer or count != self.baseline.get(name):
                found.append(f"{name} ({self.baseline.get(name)} -> {count} rows, {newer} written)")
        return found

    @contextlib.contextmanager
    def connection(self, nodeid: str) -> Iterator[RolledBackConnection]:
        conn = self.connect(self.dbname, cls=RolledBackConnection)
        conn.nodeid = nodeid
        try:
            yield conn
        finally:
            refused = conn.refused
            conn.close()  # the open transaction, if any, is rolled back
            changed = self.changes()
            if changed:
                self.drop()
                self.create()
                if not refused:
                    pytest.fail(f"{nodeid} committed to the shared test database: {', '.join(changed)}; "
                                f"{MARKER_ADVICE}", pytrace=False)

