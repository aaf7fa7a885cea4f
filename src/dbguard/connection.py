"""Which database a command talks to, and opening connections to it.

The order (docs/cli.md): ``--dsn``, else ``DBGUARD_DSN``, else ``DATABASE_URL``,
else libpq's own environment (``PGHOST``, ``PGSERVICE``, ... -- any of
``LIBPQ_ENV_VARS`` set), used as psql uses it: an empty conninfo, so libpq
reads the variables and the service file itself; else the embedded server.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, NamedTuple

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import embedded
from .errors import ConnectionFailed, DbguardError

ENV_VARS = ("DBGUARD_DSN", "DATABASE_URL")
# The libpq variables that name a server, a database, an identity or a service
# (https://www.postgresql.org/docs/current/libpq-envars.html). Session settings
# such as PGTZ or PGSSLMODE alone do not say which server to use.
LIBPQ_ENV_VARS = ("PGSERVICE", "PGSERVICEFILE", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
                  "PGPASSWORD", "PGPASSFILE")
LIBPQ = "libpq environment"
EMBEDDED = "embedded"


class Resolved(NamedTuple):
    dsn: str
    source: str  # "--dsn", "DBGUARD_DSN", "DATABASE_URL", LIBPQ or EMBEDDED


def libpq_env() -> dict[str, str]:
    """The libpq variables that are set (and not empty)."""
    return {v: os.environ[v] for v in LIBPQ_ENV_VARS if os.environ.get(v)}


def resolve(dsn: str | None = None, *, start_embedded: bool = True) -> Resolved:
    """The DSN to use and where it came from. The libpq environment gives an empty
    DSN: libpq fills host, port, database, user and service from the variables."""
    if dsn:
        return Resolved(dsn, "--dsn")
    for var in ENV_VARS:
        if os.environ.get(var):
            return Resolved(os.environ[var], var)
    if libpq_env():
        return Resolved("", LIBPQ)
    if not start_embedded:
        return Resolved("", EMBEDDED)
    return Resolved(embedded.start(), EMBEDDED)


def resolve_dsn(dsn: str | None = None) -> str:
    """``--dsn``, else ``DBGUARD_DSN``, else ``DATABASE_URL``, else libpq's environment
    (an empty DSN), else the embedded server."""
    return resolve(dsn).dsn


def describe(dsn: str) -> str:
    """The DSN without its password, for messages."""
    if not dsn.strip():
        given = " ".join(f"{k}={v}" for k, v in libpq_env().items() if k != "PGPASSWORD")
        return f"the server of the libpq environment ({given or 'libpq defaults'})"
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    params.pop("password", None)
    return make_conninfo(**params)


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    """A psycopg connection, or ``ConnectionFailed`` naming the server and the reason."""
    try:
        conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ConnectionFailed(f"invalid DSN {dsn!r}: {exc}") from exc
    kwargs.setdefault("connect_timeout", 10)
    try:
        return psycopg.connect(dsn, **kwargs)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise ConnectionFailed(f"cannot connect to {describe(dsn)}: {reason}") from exc


@contextmanager
def connection(dsn: str, **kwargs) -> Iterator[psycopg.Connection]:
    conn = connect(dsn, **kwargs)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


NOT_INSTALLED = "dbguard is not installed in this database; run dbguard migrate first"


class NotInstalled(DbguardError):
    """The database has no dbguard schema (never migrated, or rolled back)."""


def is_installed(conn: psycopg.Connection) -> bool:
    # Read from pg_catalog, which every role may read: to_regclass would need
    # USAGE on the schema and fail for a role without it.
    return conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'dbguard' AND c.relname = 'installed_rules')").fetchone()[0]


def require_installed(conn: psycopg.Connection) -> None:
    """``NotInstalled`` (``NOT_INSTALLED``) unless dbguard's schema is in the database.
    Every command and library function that needs dbguard asks this one question."""
    idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    installed = is_installed(conn)
    if idle and not conn.autocommit:
        conn.rollback()  # end the transaction this check opened; a caller's own one stays
    if not installed:
        raise NotInstalled(NOT_INSTALLED)
