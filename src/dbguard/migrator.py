"""Applying and rolling back dbguard's migrations, safely.

yoyo runs the migrations; dbguard adds what a DBA needs around it:
- one migrator at a time through a session advisory lock (a killed migrator's
  lock goes with its connection, unlike yoyo's lock row, which can go stale);
- ``lock_timeout`` on the migration connection, so DDL never queues behind a
  long transaction (and blocks everyone queued behind it) indefinitely;
- a content checksum per applied migration, so an edited migration is reported;
- ``dry_run``: the SQL that would run, without touching the database.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import psycopg
from psycopg.conninfo import conninfo_to_dict
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import _DatabaseURI
from yoyo.migrations import MigrationStep, StepGroup

from .connection import connect
from .errors import MigrationFailed
from .resources import migrations_dir, sha256

# Key of the session advisory lock that serialises dbguard migrators.
ADVISORY_LOCK_KEY = 0x6462_6775_6172_64  # "dbguard"
MIGRATION_TABLE = "_yoyo_migration"
DEFAULT_LOCK_TIMEOUT = "10s"


@dataclass
class MigrationInfo:
    id: str
    applied: bool
    applied_at: str | None = None
    # ok | modified (file changed since it was applied) | untracked | pending
    checksum: str = "pending"
    description: str = ""


@dataclass
class RunResult:
    applied: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    waited_for_lock: bool = False


def load_migrations():
    return read_migrations(str(migrations_dir()))


def _leaf_steps(steps) -> Iterable[MigrationStep]:
    for s in steps:
        inner = getattr(s, "step", s)
        if isinstance(inner, StepGroup):
            yield from _leaf_steps(inner.steps)
        else:
            yield inner


def migration_sql(migration, direction: str = "apply") -> list[str]:
    """The SQL a migration runs, statement group by statement group."""
    migration.load()
    steps = list(_leaf_steps(migration.steps))
    if direction == "rollback":
        steps.reverse()
    attr = "_apply" if direction == "apply" else "_rollback"
    return [getattr(s, attr) for s in steps if isinstance(getattr(s, attr), str)]


def migration_checksum(migration) -> str:
    return sha256("\n--rollback--\n".join(migration_sql(migration) + migration_sql(migration, "rollback")))


def _description(migration) -> str:
    migration.load()
    doc = (migration.module.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def _backend(dsn: str, lock_timeout: str) -> PostgresqlPsycopgBackend:
    params = conninfo_to_dict(dsn)
    dbname = params.pop("dbname", None)
    options = params.pop("options", "") or ""
    params["options"] = f"{options} -c lock_timeout={lock_timeout}".strip()
    params.setdefault("application_name", "dbguard migrate")
    uri = _DatabaseURI("postgresql+psycopg", None, None, None, None, dbname, params)
    backend = PostgresqlPsycopgBackend(uri, MIGRATION_TABLE)
    backend.init_database()
    return backend


def _applied(conn: psycopg.Connection) -> dict[str, str]:
    """Applied migration ids and when, read without creating anything."""
    if conn.execute("SELECT to_regclass(%s)", (f"public.{MIGRATION_TABLE}",)).fetchone()[0] is None:
        return {}
    rows = conn.execute(f"SELECT migration_id, applied_at_utc::text FROM public.{MIGRATION_TABLE}").fetchall()
    return dict(rows)


def _stored_checksums(conn: psycopg.Connection) -> dict[str, str]:
    if conn.execute("SELECT to_regclass('dbguard.migration_checksums')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("SELECT migration_id, checksum FROM dbguard.migration_checksums").fetchall())


def migration_status(conn: psycopg.Connection) -> list[MigrationInfo]:
    applied = _applied(conn)
    stored = _stored_checksums(conn)
    out = []
    for m in load_migrations():
        info = MigrationInfo(m.id, m.id in applied, applied.get(m.id), description=_description(m))
        if info.applied:
            if m.id not in stored:
                info.checksum = "untracked"
            else:
                info.checksum = "ok" if stored[m.id] == migration_checksum(m) else "modified"
        out.append(info)
    return out


class _MigrationLock:
    """Session advisory lock held on its own autocommit connection."""

    POLL_SECONDS = 0.25

    def __init__(self, dsn: str, notify: Callable[[str], None]):
        self.dsn = dsn
        self.notify = notify
        self.conn: psycopg.Connection | None = None
        self.waited = False

    def __enter__(self) -> psycopg.Connection:
        self.conn = connect(self.dsn, autocommit=True, application_name="dbguard migrate (lock)")
        # Poll rather than block in pg_advisory_lock: a waiting statement holds a
        # snapshot, and CREATE INDEX CONCURRENTLY in the running migrator would
        # wait for that snapshot to go away -- the two would wait on each other.
        while not self.conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]:
            if not self.waited:
                self.notify("another dbguard migrate is running; waiting for it to finish")
                self.waited = True
            time.sleep(self.POLL_SECONDS)
        return self.conn

    def __exit__(self, *exc) -> None:
        assert self.conn is not None
        try:
            if not self.conn.closed:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        except psycopg.Error:
            pass  # the lock goes with the connection anyway
        finally:
            self.conn.close()


def _fail(migration_id: str, direction: str, exc: psycopg.Error) -> MigrationFailed:
    diag = exc.diag
    parts = [f"{direction} of migration {migration_id} failed: {diag.message_primary or exc}"]
    if diag.message_detail:
        parts.append(f"DETAIL: {diag.message_detail}")
    if diag.message_hint:
        parts.append(f"HINT: {diag.message_hint}")
    if diag.sqlstate == "55P03":  # lock_not_available
        parts.append("HINT: a long-running transaction holds a lock on the table; "
                     "retry when it has finished, or raise --lock-timeout")
    parts.append("(nothing of this migration was kept; fix the cause and run it again)")
    return MigrationFailed(" ".join(parts))


def _record_checksum(conn: psycopg.Connection, migration) -> None:
    conn.execute(
        """INSERT INTO dbguard.migration_checksums (migration_id, checksum) VALUES (%s, %s)
           ON CONFLICT (migration_id) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()""",
        (migration.id, migration_checksum(migration)),
    )


def _forget_checksum(conn: psycopg.Connection, migration) -> None:
    if conn.execute("SELECT to_regclass('dbguard.migration_checksums')").fetchone()[0] is not None:
        conn.execute("DELETE FROM dbguard.migration_checksums WHERE migration_id = %s", (migration.id,))


def _stderr(msg: str) -> None:
    print(f"dbguard: {msg}", file=sys.stderr)


def migrate(dsn: str, *, dry_run: bool = False, lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
            notify: Callable[[str], None] = _stderr) -> RunResult:
    """Apply every pending migration, in order, one migrator at a time."""
    result = RunResult()
    migrations = load_migrations()
    if dry_run:
        with connect(dsn, autocommit=True) as conn:
            applied = _applied(conn)
        for m in migrations:
            if m.id not in applied:
                result.applied.append(m.id)
                result.sql.append(f"-- migration {m.id}\n" + "\n".join(migration_sql(m)))
        result.sql += _views_dry_run(dsn)
        return result

    lock = _MigrationLock(dsn, notify)
    with lock as lock_conn:
        result.waited_for_lock = lock.waited
        backend = _backend(dsn, lock_timeout)
        try:
            # Every dbguard migrator holds the advisory lock, so a yoyo lock row
            # left now can only be a killed migrator's: clear it.
            backend.break_lock()
            with backend.lock():
                for m in backend.to_apply(migrations):
                    try:
                        # yoyo prints the result of every SELECT step to stdout.
                        with contextlib.redirect_stdout(io.StringIO()):
                            backend.apply_one(m)
                    except psycopg.Error as exc:
                        raise _fail(m.id, "apply", exc) from exc
                    _record_checksum(lock_conn, m)
                    result.applied.append(m.id)
                    notify(f"applied {m.id}")
        finally:
            backend.connection.close()
        _install_views(dsn, lock_timeout, notify)
    return result


def rollback(dsn: str, *, count: int | None = 1, dry_run: bool = False,
             lock_timeout: str = DEFAULT_LOCK_TIMEOUT, notify: Callable[[str], None] = _stderr) -> RunResult:
    """Roll back the last ``count`` applied migrations (all of them when ``count`` is None)."""
    result = RunResult()
    migrations = load_migrations()
    if dry_run:
        with connect(dsn, autocommit=True) as conn:
            applied = _applied(conn)
        targets = [m for m in reversed(migrations) if m.id in applied][:count]
        for m in targets:
            result.rolled_back.append(m.id)
            result.sql.append(f"-- rollback of {m.id}\n" + "\n".join(migration_sql(m, "rollback")))
        return result

    with _MigrationLock(dsn, notify) as lock_conn:
        backend = _backend(dsn, lock_timeout)
        try:
            backend.break_lock()
            with backend.lock():
                targets = list(backend.to_rollback(migrations))[:count]
                if targets:
                    # Views are derived; dropped first so none pins a table being dropped.
                    from . import views
                    with connect(dsn, autocommit=True) as conn:
                        views.drop_views(conn)
                for m in targets:
                    try:
                        with contextlib.redirect_stdout(io.StringIO()):
                            backend.rollback_one(m)
                    except psycopg.Error as exc:
                        raise _fail(m.id, "rollback", exc) from exc
                    _forget_checksum(lock_conn, m)
                    result.rolled_back.append(m.id)
                    notify(f"rolled back {m.id}")
                if targets:
                    _install_views(dsn, lock_timeout, notify, skip_missing=True)
        finally:
            backend.connection.close()
    return result



def _views_dry_run(dsn: str) -> list[str]:
    """The audit views a migrate would (re-)install, as SQL."""
    from . import views

    with connect(dsn, autocommit=True) as conn:
        pending = views.pending_views(conn, views.render_views())
    return [f"-- audit view dbguard_audit.{v.name}\n{v.create_sql()}" for v in pending]


def _install_views(dsn: str, lock_timeout: str, notify: Callable[[str], None], *, skip_missing: bool = False) -> None:
    """Re-install the audit views whose rendered text changed (under the migrator lock)."""
    from . import views

    with connect(dsn, autocommit=True, options=f"-c lock_timeout={lock_timeout}") as conn:
        try:
            done = views.install_views(conn, skip_missing=skip_missing)
        except psycopg.Error as exc:
            raise _fail("audit views", "apply", exc) from exc
    for name, action in done.items():
        notify(f"audit view dbguard_audit.{name} {action}")
