"""Which database a command talks to, and opening connections to it."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import embedded
from .errors import ConnectionFailed

ENV_VARS = ("DBGUARD_DSN", "DATABASE_URL")


def resolve_dsn(dsn: str | None = None) -> str:
    """``--dsn``, else ``DBGUARD_DSN``, else ``DATABASE_URL``, else the embedded server."""
    if dsn:
        return dsn
    for var in ENV_VARS:
        if os.environ.get(var):
            return os.environ[var]
    return embedded.start()


def describe(dsn: str) -> str:
    """The DSN without its password, for messages."""
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
