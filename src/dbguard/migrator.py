"""Applying and rolling back dbguard's migrations, safely.

yoyo runs the migrations; dbguard adds what a DBA needs around it:
- one migrator at a time through a session advisory lock (a killed migrator's
  lock goes with its connection, unlike yoyo's lock row, which can go stale);
- DDL waits for its locks in short attempts within the ``--lock-timeout`` budget,
  so writers never queue behind a waiting migration for long;
- a preflight of the existing tables before anything is applied (preflight.py);
- a rollback that checks every table it would drop before it changes anything,
  and keeps rule modes; ``mode``: the mode newly installed rules start in;
- a content checksum per applied migration, so an edited migration is reported;
- after the versioned migrations, the repeatable objects (functions, rules,
  audit views) whose shipped source changed (dbguard.repeatable, dbguard.views);
- yoyo's own tables in schema dbguard (MIGRATION_SCHEMA), not in public;
- ``dry_run``: a runnable script of what this database would get, without touching it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from yoyo import get_backend, read_migrations
from yoyo.backends.base import DatabaseBackend

from .connection import connect
from .errors import DbguardError, MigrationFailed
from .resources import migrations_dir, sha256

# Key of the session advisory lock that serialises dbguard migrators.
ADVISORY_LOCK_KEY = 0x6462_6775_6172_64  # "dbguard"
MIGRATION_TABLE = "_yoyo_migration"
# yoyo creates its tables (_yoyo_migration, _yoyo_log, _yoyo_version, yoyo_lock) in the
# first schema of its connection's search_path; dbguard's migrations name every object
# with its schema, so this changes nothing else.
MIGRATION_SCHEMA = "dbguard"
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
    # what would stop it: preflight problems (migrate), tables with rows (rollback);
    # a dry run reports them, a real run refuses
    blockers: list[str] = field(default_factory=list)
    # migrate: tables it created, tables it found and added columns to (table → columns)
    created_tables: list[str] = field(default_factory=list)
    extended_tables: dict[str, list[str]] = field(default_factory=dict)
    # migrate --mode: rules installed by this run, in the mode they start in
    new_rule_modes: dict[str, str] = field(default_factory=dict)
    # migrate: repeatable objects (re-)installed, as "kind name"
    reinstalled: list[str] = field(default_factory=list)
    # migrate: dbguard's NOT VALID CHECK constraints it validated, and those old rows still
    # break (left NOT VALID), as "schema.table.constraint"
    validated: list[str] = field(default_factory=list)
    not_valid: list[str] = field(default_factory=list)


def load_migrations():
    return read_migrations(str(migrations_dir()))


@dataclass(frozen=True)
class _Plan:
    doc: str
    transactional: bool
    steps: tuple[tuple[str | None, str | None], ...]  # (apply, rollback) per step, in order


@functools.lru_cache(maxsize=None)
def _read_plan(path: str, _mtime_ns: int) -> _Plan:
    """What a migration file does, read by running it with a step() of our own.

    dbguard's migrations are a docstring and ``step(apply_sql, rollback_sql)``
    calls (built with dbguard.steps); reading them this way needs none of yoyo's
    private attributes."""
    collected: list[tuple[str | None, str | None]] = []

    def step(apply=None, rollback=None, ignore_errors=None):
        collected.append((apply, rollback))
        return apply, rollback

    def group(*_steps, **_kwargs):  # the steps inside were collected as they were made
        return None

    namespace = {"__file__": path, "__name__": f"dbguard_migration_plan_{Path(path).stem}",
                 "step": step, "group": group, "transaction": group}
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), namespace)  # noqa: S102 -- dbguard's own shipped migrations
    return _Plan((namespace.get("__doc__") or "").strip(), bool(namespace.get("__transactional__", True)),
                 tuple(collected))


def _plan(migration) -> _Plan:
    return _read_plan(migration.path, os.stat(migration.path).st_mtime_ns)


def migration_sql(migration, direction: str = "apply") -> list[str]:
    """The SQL a migration runs, step by step (rollback: in the order it runs)."""
    steps = list(_plan(migration).steps)
    if direction == "rollback":
        steps.reverse()
    index = 0 if direction == "apply" else 1
    return [s[index] for s in steps if isinstance(s[index], str)]


def migration_checksum(migration) -> str:
    return sha256("\n--rollback--\n".join(migration_sql(migration) + migration_sql(migration, "rollback")))


def _description(migration) -> str:
    doc = _plan(migration).doc
    return doc.splitlines()[0] if doc else ""


def _backend(dsn: str, attempt_timeout: str) -> DatabaseBackend:
    """yoyo's backend on ``dsn``; every connection it opens waits at most ``attempt_timeout`` for a lock."""
    params = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    options = params.pop("options", "")
    params["options"] = f"{options} -c lock_timeout={attempt_timeout} -c search_path={MIGRATION_SCHEMA},public".strip()
    params.setdefault("application_name", "dbguard migrate")
    # Every parameter in the query string, the database name included: yoyo
    # percent-decodes query values, not the path.
    return get_backend("postgresql+psycopg://?" + urlencode(params), MIGRATION_TABLE)


def _applied(conn: psycopg.Connection) -> dict[str, str]:
    """Applied migration ids and when, read without creating anything."""
    if conn.execute("SELECT to_regclass(%s)", (f"{MIGRATION_SCHEMA}.{MIGRATION_TABLE}",)).fetchone()[0] is None:
        return {}
    rows = conn.execute(f"SELECT migration_id, to_char(applied_at_utc, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM {MIGRATION_SCHEMA}.{MIGRATION_TABLE}").fetchall()
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


# How long one attempt of a DDL statement waits for its lock before it steps back.
# While it waits, every writer that arrives after it queues behind it; between
# attempts they all pass. The --lock-timeout budget is spent in such attempts.
ATTEMPT_LOCK_TIMEOUT_S = 1.0
_RETRY_PAUSE_S, _RETRY_PAUSE_MAX_S = 0.2, 5.0
_PG_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "": 0.001}
_PG_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d|)\s*$")


def _lock_budget(lock_timeout: str) -> tuple[float, str]:
    """--lock-timeout (PostgreSQL's units: 500ms, 10s, 2min; a bare number is ms) →
    (total seconds to keep trying, lock_timeout of one attempt)."""
    m = _PG_DURATION.match(str(lock_timeout).lower())
    if not m or float(m.group(1)) <= 0:
        raise DbguardError(f"invalid --lock-timeout {lock_timeout!r}: use a positive duration such as 500ms, 10s or 2min")
    budget = float(m.group(1)) * _PG_UNITS[m.group(2)]
    return budget, f"{max(1, round(min(budget, ATTEMPT_LOCK_TIMEOUT_S) * 1000))}ms"


def _with_lock_retries(run: Callable[[], None], budget: float, what: str, notify: Callable[[str], None]) -> None:
    """``run()`` (one transaction, or idempotent statements), again after a pause each time it
    gives up waiting for a lock, until ``budget`` seconds have gone."""
    deadline = time.monotonic() + budget
    pause = _RETRY_PAUSE_S
    while True:
        try:
            return run()
        except psycopg.errors.LockNotAvailable:
            left = deadline - time.monotonic()
            if left <= pause:
                raise
            notify(f"{what}: a lock it needs is held by another transaction; stepped back so that other "
                   f"writers can pass, retrying (for {left:.0f} s more)")
            time.sleep(pause)
            pause = min(pause * 2, _RETRY_PAUSE_MAX_S)


def _run_one(dsn: str, backend: DatabaseBackend, migration, direction: str, budget: float,
             notify: Callable[[str], None]) -> None:
    """Apply or roll back one migration, waiting for locks as ATTEMPT_LOCK_TIMEOUT_S explains.

    A non-transactional migration (CREATE/DROP INDEX CONCURRENTLY) gets the whole budget
    in one wait instead: its lock (SHARE UPDATE EXCLUSIVE) does not hold writers up, and
    what it waits for after the build -- older transactions to end -- would make a short
    attempt throw the built index away and start again."""
    run = backend.apply_one if direction == "apply" else backend.rollback_one
    if _plan(migration).transactional:
        _with_lock_retries(lambda: run(migration), budget, f"{direction} of {migration.id}", notify)
        return
    whole = _backend(dsn, f"{max(1, round(budget * 1000))}ms")
    try:
        (whole.apply_one if direction == "apply" else whole.rollback_one)(migration)
    finally:
        whole.connection.close()


def _fail(migration_id: str, direction: str, exc: psycopg.Error, lock_timeout: str = "") -> MigrationFailed:
    diag = exc.diag
    parts = [f"{direction} of migration {migration_id} failed: {diag.message_primary or exc}"]
    if diag.message_detail:
        parts.append(f"DETAIL: {diag.message_detail}")
    if diag.message_hint:
        parts.append(f"HINT: {diag.message_hint}")
    if diag.sqlstate == "55P03":  # lock_not_available
        parts.append(f"HINT: a long-running transaction held a lock on the table for the whole --lock-timeout "
                     f"({lock_timeout}); retry when it has finished, or raise --lock-timeout")
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


def _tables(conn: psycopg.Connection) -> dict[str, set[str]]:
    """Every ordinary table outside the system schemas → its columns."""
    out: dict[str, set[str]] = {}
    for table, column in conn.execute(
            f"""SELECT {_QUALIFIED}, a.attname FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 WHERE c.relkind IN ('r', 'p')
                   AND c.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
                   AND c.relnamespace::regnamespace::text NOT LIKE 'pg\\_%%'""", {}):
        out.setdefault(table, set()).add(column)
    return out


def _report_tables(before: dict[str, set[str]], after: dict[str, set[str]], result: RunResult,
                   notify: Callable[[str], None]) -> None:
    for table in sorted(after):
        if table not in before:
            result.created_tables.append(table)
            notify(f"created table {table}")
        elif added := sorted(after[table] - before[table]):
            result.extended_tables[table] = added
            notify(f"extended existing table {table}: added column(s) {', '.join(added)}")


def _preflight(conn: psycopg.Connection, notify: Callable[[str], None]) -> None:
    """Refuse, before anything is applied, a database with problems the migrations would stop at."""
    from .preflight import preflight

    problems = preflight(conn)
    for p in problems:
        if not p.blocking:
            notify(f"warning: {p}")
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise MigrationFailed(
            f"preflight found {len(blocking)} problem(s) in the existing tables that would stop the migrations; "
            "nothing was applied:\n  " + "\n  ".join(str(p) for p in blocking))


def _installed_rules(conn: psycopg.Connection) -> set[str]:
    if conn.execute("SELECT to_regclass('dbguard.installed_rules')").fetchone()[0] is None:
        return set()
    return {r[0] for r in conn.execute("SELECT rule FROM dbguard.installed_rules")}


def _seed_modes(conn: psycopg.Connection, mode: str, known: set[str] | None) -> set[str] | None:
    """Give every shipped rule that has no settings row yet the mode ``mode``, before the
    migration installing it runs (install keeps an existing row): no rule installed by this
    run ever works in another mode, not even for a moment. Returns the rules seeded, or
    None while dbguard.rule_settings does not exist yet."""
    from .rules import shipped_rules

    if conn.execute("SELECT to_regclass('dbguard.rule_settings')").fetchone()[0] is None:
        return None
    with conn.transaction():
        seeded = {r[0] for r in conn.execute(
            """INSERT INTO dbguard.rule_settings (rule, mode) SELECT unnest(%s::text[]), %s
               ON CONFLICT (rule) DO NOTHING RETURNING rule""",
            (sorted(set(shipped_rules()) - (known or set())), mode))}
    return seeded


def migrate(dsn: str, *, dry_run: bool = False, lock_timeout: str = DEFAULT_LOCK_TIMEOUT, mode: str | None = None,
            notify: Callable[[str], None] = _stderr) -> RunResult:
    """Apply every pending migration, in order, one migrator at a time.

    ``mode``: rules this run installs start in that mode (e.g. 'alert' for a shadow
    roll-out); rules already installed keep theirs."""
    from .rules import MODES

    if mode is not None and mode not in MODES:
        raise DbguardError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
    result = RunResult()
    migrations = load_migrations()
    if dry_run:
        return _dry_run(dsn, migrations, result)

    budget, attempt = _lock_budget(lock_timeout)
    lock = _MigrationLock(dsn, notify)
    with lock as lock_conn:
        result.waited_for_lock = lock.waited
        applied = _applied(lock_conn)
        if any(m.id not in applied for m in migrations):
            _preflight(lock_conn, notify)
        # yoyo's tables go here; created before yoyo first connects.
        lock_conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(MIGRATION_SCHEMA)))
        tables_before = _tables(lock_conn)
        known = set(_rule_modes(lock_conn))
        installed_before = _installed_rules(lock_conn)
        seeded = None
        backend = _backend(dsn, attempt)
        try:
            # Every dbguard migrator holds the advisory lock, so a yoyo lock row
            # left now can only be a killed migrator's: clear it.
            backend.break_lock()
            with backend.lock():
                for m in backend.to_apply(migrations):
                    if mode is not None and seeded is None:
                        seeded = _seed_modes(lock_conn, mode, known)
                    try:
                        # yoyo prints the result of every SELECT step to stdout.
                        with contextlib.redirect_stdout(io.StringIO()):
                            _run_one(dsn, backend, m, "apply", budget, notify)
                    except psycopg.Error as exc:
                        raise _fail(m.id, "apply", exc, lock_timeout) from exc
                    _record_checksum(lock_conn, m)
                    result.applied.append(m.id)
                    notify(f"applied {m.id}")
        finally:
            backend.connection.close()
        if mode is not None and seeded is None:
            _seed_modes(lock_conn, mode, known)
        result.reinstalled = _install_repeatable(dsn, budget, attempt, notify, lock_timeout)
        _install_views(dsn, budget, attempt, notify)
        result.validated, result.not_valid = _validate_checks(dsn, budget, attempt, notify, lock_timeout)
        _report_tables(tables_before, _tables(lock_conn), result, notify)
        new_rules = sorted(_installed_rules(lock_conn) - installed_before)
        result.new_rule_modes = dict(lock_conn.execute(
            "SELECT rule, mode FROM dbguard.rule_settings WHERE rule = ANY(%s) ORDER BY rule",
            (new_rules,)).fetchall()) if new_rules else {}
        for rule, rule_mode in result.new_rule_modes.items():
            notify(f"rule {rule} installed in mode {rule_mode}")
    return result


def _dry_run(dsn: str, migrations: list, result: RunResult) -> RunResult:
    """A script of what a migrate would do to this database, runnable with psql as it is:
    the pending versioned migrations (each in BEGIN/COMMIT unless it builds indexes
    CONCURRENTLY) with yoyo's and dbguard's bookkeeping, then the repeatable objects.
    Objects the pending migrations would change are shown as they are shipped."""
    from . import repeatable
    from .preflight import preflight, unvalidated_checks

    with connect(dsn, autocommit=True) as conn:
        applied = _applied(conn)
        todo = [m for m in migrations if m.id not in applied]
        if todo:
            result.blockers = [str(p) if p.blocking else f"warning: {p}" for p in preflight(conn)]
            result.sql.append(_yoyo_tables_sql())
        for m in todo:
            result.applied.append(m.id)
            body = "\n".join(migration_sql(m))
            book = _bookkeeping_sql(m)
            if _plan(m).transactional:
                result.sql.append(f"-- migration {m.id}\nBEGIN;\n{body}\n{book}COMMIT;\n")
            else:
                result.sql.append(f"-- migration {m.id} (CREATE INDEX CONCURRENTLY: no transaction)\n{body}\n{book}")
        objects = repeatable.pending(conn) if not todo else [
            *[repeatable.Object("function", n, c, s) for n, c, s in repeatable.functions_sql()],
            repeatable.shipped()[1],
            *[repeatable.Object("rule", n, c, s) for n, c, s in repeatable.rules_sql()]]
        if objects:
            result.sql.append("-- repeatable objects\n" + repeatable.script(objects))
        checks = [] if todo else unvalidated_checks(conn)
    result.sql += _views_dry_run(dsn, everything=bool(todo))
    result.blockers += [f"warning: {c}" for c in checks if c.rows]
    clean = [c for c in checks if not c.rows]
    if todo:
        result.sql.append("-- then dbguard's CHECK constraints, added NOT VALID, are validated where no row breaks "
                          "them (ALTER TABLE ... VALIDATE CONSTRAINT)\n")
    elif clean:
        result.sql.append("-- CHECK constraints no row breaks any more\n" + "".join(
            sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {};\n").format(
                sql.Identifier(*c.table.split(".", 1)), sql.Identifier(c.column)).as_string(None) for c in clean))
    return result


def _yoyo_tables_sql() -> str:
    """yoyo's bookkeeping tables, as yoyo itself creates them (internal schema version 2)."""
    s = MIGRATION_SCHEMA
    return f"""-- yoyo's bookkeeping (as yoyo creates it), in schema {s}
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}._yoyo_migration (migration_hash VARCHAR(64), migration_id VARCHAR(255),
    applied_at_utc TIMESTAMP, PRIMARY KEY (migration_hash));
CREATE TABLE IF NOT EXISTS {s}._yoyo_log (id VARCHAR(36), migration_hash VARCHAR(64), migration_id VARCHAR(255),
    operation VARCHAR(10), username VARCHAR(255), hostname VARCHAR(255), comment VARCHAR(255),
    created_at_utc TIMESTAMP, PRIMARY KEY (id));
CREATE TABLE IF NOT EXISTS {s}._yoyo_version (version INT NOT NULL PRIMARY KEY, installed_at_utc TIMESTAMP);
INSERT INTO {s}._yoyo_version (version, installed_at_utc)
SELECT 2, now() AT TIME ZONE 'UTC' WHERE NOT EXISTS (SELECT 1 FROM {s}._yoyo_version);
"""


def _bookkeeping_sql(migration) -> str:
    from yoyo.migrations import get_migration_hash

    return sql.SQL(
        "INSERT INTO {}._yoyo_migration (migration_hash, migration_id, applied_at_utc) "
        "VALUES ({}, {}, now() AT TIME ZONE 'UTC');\n"
        "INSERT INTO {}._yoyo_log (id, migration_hash, migration_id, operation, username, hostname, created_at_utc) "
        "VALUES (gen_random_uuid()::text, {}, {}, 'apply', current_user, 'dbguard migrate --dry-run', "
        "now() AT TIME ZONE 'UTC');\n"
        "INSERT INTO dbguard.migration_checksums (migration_id, checksum) VALUES ({}, {});\n").format(
            sql.Identifier(MIGRATION_SCHEMA), sql.Literal(get_migration_hash(migration.id)), sql.Literal(migration.id),
            sql.Identifier(MIGRATION_SCHEMA), sql.Literal(get_migration_hash(migration.id)), sql.Literal(migration.id),
            sql.Literal(migration.id), sql.Literal(migration_checksum(migration))).as_string(None)


def _validate_checks(dsn: str, budget: float, attempt: str, notify: Callable[[str], None],
                     lock_timeout: str = DEFAULT_LOCK_TIMEOUT) -> tuple[list[str], list[str]]:
    """VALIDATE dbguard's NOT VALID CHECK constraints that no existing row breaks; report the
    others (left NOT VALID: they still hold for new and changed rows) with their offenders.

    VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE: writers go on while it scans the table.
    It waits for its lock in attempts, like the migrations, within --lock-timeout."""
    from .preflight import unvalidated_checks

    validated: list[str] = []
    not_valid: list[str] = []
    with connect(dsn, autocommit=True, options=f"-c lock_timeout={attempt}") as conn:
        for check in unvalidated_checks(conn):
            name = f"{check.table}.{check.column}"
            if check.rows:
                notify(f"warning: {check}")
                not_valid.append(name)
                continue
            schema, table = check.table.split(".", 1)
            statement = sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                sql.Identifier(schema, table), sql.Identifier(check.column))
            try:
                _with_lock_retries(lambda: conn.execute(statement), budget, f"validate {name}", notify)
            except psycopg.errors.CheckViolation:
                # Offenders counted a moment ago cannot appear (the constraint holds for every
                # write), but a rolled-back fix can put them back: report as above.
                notify(f"warning: {check.table}: constraint {check.column} stays NOT VALID: rows break it; "
                       "run dbguard migrate again after fixing them")
                not_valid.append(name)
                continue
            except psycopg.Error as exc:
                raise _fail(f"VALIDATE CONSTRAINT {name}", "apply", exc, lock_timeout) from exc
            notify(f"validated {name}")
            validated.append(name)
    return validated, not_valid


def _install_repeatable(dsn: str, budget: float, attempt: str, notify: Callable[[str], None],
                        lock_timeout: str = DEFAULT_LOCK_TIMEOUT) -> list[str]:
    """Re-install the functions, bookkeeping objects and rules whose shipped source changed."""
    from . import repeatable

    done: list = []

    def install() -> None:
        with connect(dsn, autocommit=True, options=f"-c lock_timeout={attempt}") as conn:
            done[:] = repeatable.install(conn)

    try:
        _with_lock_retries(install, budget, "functions and rules", notify)
    except psycopg.Error as exc:
        raise _fail("functions and rules", "apply", exc, lock_timeout) from exc
    for o in done:
        notify(f"dropped function {o.name} (no longer shipped)" if o.kind == "removed" else f"installed {o.kind} {o.name}")
    if not done:
        notify("functions and rules: all up to date")
    return [f"{o.kind} {o.name}" for o in done]


def rollback(dsn: str, *, count: int | None = 1, dry_run: bool = False,
             lock_timeout: str = DEFAULT_LOCK_TIMEOUT, notify: Callable[[str], None] = _stderr) -> RunResult:
    """Roll back the last ``count`` applied migrations (all of them when ``count`` is None)."""
    result = RunResult()
    migrations = load_migrations()
    if dry_run:
        with connect(dsn, autocommit=True) as conn:
            applied = _applied(conn)
            targets = [m for m in reversed(migrations) if m.id in applied][:count]
            result.blockers = rollback_blockers(conn, targets)
        for m in targets:
            result.rolled_back.append(m.id)
            result.sql.append(f"-- rollback of {m.id}\n" + "\n".join(migration_sql(m, "rollback")))
        return result

    budget, attempt = _lock_budget(lock_timeout)
    with _MigrationLock(dsn, notify) as lock_conn:
        backend = _backend(dsn, attempt)
        try:
            backend.break_lock()
            with backend.lock():
                targets = list(backend.to_rollback(migrations))[:count]
                blockers = rollback_blockers(lock_conn, targets)
                if blockers:
                    raise MigrationFailed(
                        f"rollback of {len(targets)} migration(s) refused; nothing was changed. "
                        "A rollback never deletes rows, and it checks everything before it starts:\n  "
                        + "\n  ".join(blockers)
                        + "\nOr roll back fewer migrations (--count N) to keep those tables.")
                modes = _rule_modes(lock_conn)
                if targets:
                    # Views are derived; dropped first so none pins a table being dropped.
                    from . import views
                    with connect(dsn, autocommit=True) as conn:
                        views.drop_views(conn)
                try:
                    for m in targets:
                        try:
                            with contextlib.redirect_stdout(io.StringIO()):
                                _run_one(dsn, backend, m, "rollback", budget, notify)
                        except psycopg.Error as exc:
                            raise _fail(m.id, "rollback", exc, lock_timeout) from exc
                        _forget_checksum(lock_conn, m)
                        result.rolled_back.append(m.id)
                        notify(f"rolled back {m.id}")
                finally:
                    # Also when a later step failed: the rules already removed keep their modes.
                    _keep_rule_modes(lock_conn, modes)
                if targets:
                    _install_views(dsn, budget, attempt, notify, skip_missing=True)
        finally:
            backend.connection.close()
        if result.rolled_back and not _applied(lock_conn):
            _drop_migration_log(lock_conn, notify)
    return result


def _drop_migration_log(conn: psycopg.Connection, notify: Callable[[str], None]) -> None:
    """After the rollback of every migration: yoyo's tables, and schema dbguard when nothing
    else is left in it, so that the database is as dbguard found it."""
    schema = sql.Identifier(MIGRATION_SCHEMA)
    try:
        with conn.transaction():
            for table in ("_yoyo_migration", "_yoyo_log", "_yoyo_version", "yoyo_lock"):
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(schema, sql.Identifier(table)))
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {}").format(schema))
    except psycopg.errors.DependentObjectsStillExist:
        notify(f"schema {MIGRATION_SCHEMA} kept: it holds objects dbguard did not create")



# dbguard's own bookkeeping and shipped lookup data: rebuilt by migrate, dropped with their rows.
_REBUILT_TABLES = {"dbguard.migration_checksums", "dbguard.owned_tables", "dbguard.installed_rules", "dbguard.rule_fragments",
                   "dbguard.rule_functions",
                   "dbguard.installed_views", "dbguard.installed_objects", "dbguard.vocabularies", "dbguard.source_mappings"}
# rule_settings rows are the DBA's decisions only where they differ from what install writes.
_DEFAULT_MODE = "correct"
_DROP_TABLE = re.compile(r"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w.\"]+(?:\s*,\s*[\w.\"]+)*)", re.IGNORECASE)


# schema.table of the pg_class row c, whatever the search_path.
_QUALIFIED = "pg_catalog.format('%%I.%%I', c.relnamespace::regnamespace::text, c.relname)"


def _dropped_tables(conn: psycopg.Connection, targets: list) -> dict[str, str]:
    """Existing tables the rollback of ``targets`` would drop → the migration dropping it."""
    out: dict[str, str] = {}
    owned = conn.execute("SELECT to_regclass('dbguard.owned_tables')").fetchone()[0] is not None
    for m in targets:
        text = "\n".join(migration_sql(m, "rollback"))
        names = [n.strip() for group in _DROP_TABLE.findall(text) for n in group.split(",")]
        if owned and "dbguard.owned_tables" in text:
            names += [r[0] for r in conn.execute(
                "SELECT table_name FROM dbguard.owned_tables WHERE migration = %s", (m.id,))]
        for name in names:
            if not re.fullmatch(r'[\w"]+(?:\.[\w"]+)?', name):
                continue  # built at run time (format('DROP TABLE public.%I', ...)): the owned tables above
            qualified = conn.execute(f"SELECT {_QUALIFIED} FROM pg_catalog.pg_class c WHERE c.oid = to_regclass(%s)",
                                     (name,)).fetchone()
            if qualified is not None:
                out.setdefault(qualified[0], m.id)
    return out


def rollback_blockers(conn: psycopg.Connection, targets: list) -> list[str]:
    """Everything that would stop the rollback of ``targets`` half-way, found before anything changes:
    tables it would drop that hold rows (domain and operational tables alike), and objects
    outside dbguard that depend on them."""
    dropped = _dropped_tables(conn, targets)
    problems = []
    for table, migration in sorted(dropped.items()):
        if table in _REBUILT_TABLES:
            continue
        if table == "dbguard.rule_settings":
            modes = conn.execute("SELECT rule, mode FROM dbguard.rule_settings WHERE mode <> %s ORDER BY rule",
                                 (_DEFAULT_MODE,)).fetchall()
            if modes:
                problems.append(
                    f"{table} (dropped by {migration}) holds {len(modes)} rule mode(s) set by a DBA: "
                    + ", ".join(f"{r} {m}" for r, m in modes[:10]) + (" ..." if len(modes) > 10 else "")
                    + f"; set them back with `dbguard rules set-mode RULE {_DEFAULT_MODE}` if you mean to drop them")
            continue
        rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table.split(".")))).fetchone()[0]
        if rows:
            problems.append(f"{table} (dropped by {migration}) has rows ({rows}); export and delete them yourself "
                            f"if you mean to drop it (e.g. pg_dump -t {table}, then DELETE FROM {table})")
    if dropped:
        oids = list(dropped)
        for referencing, constraint, referenced in conn.execute(
                f"""SELECT (SELECT {_QUALIFIED} FROM pg_catalog.pg_class c WHERE c.oid = k.conrelid), k.conname,
                           (SELECT {_QUALIFIED} FROM pg_catalog.pg_class c WHERE c.oid = k.confrelid)
                      FROM pg_catalog.pg_constraint k
                     WHERE k.contype = 'f' AND k.confrelid = ANY(%(t)s::regclass[])
                       AND NOT k.conrelid = ANY(%(t)s::regclass[])
                       AND k.conname NOT LIKE 'dbguard\\_%%'  -- dbguard's own, dropped with its migration
                     ORDER BY 1, 2""", {"t": oids}):
            problems.append(f"{referencing} references {referenced} (foreign key {constraint}); drop that "
                            "constraint first if you mean to drop the table")
        for view, table in conn.execute(
                f"""SELECT DISTINCT {_QUALIFIED.replace('c.', 'v.')}, {_QUALIFIED.replace('c.', 't.')}
                     FROM pg_catalog.pg_depend d
                     JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
                     JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
                     JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                    WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
                      AND d.refobjid = ANY(%(t)s::regclass[]) AND v.oid <> t.oid
                      AND v.relnamespace::regnamespace::text NOT IN ('dbguard', 'dbguard_audit') ORDER BY 1, 2""",
                {"t": oids}):
            problems.append(f"view {view} reads {table}; drop or change the view first if you mean to drop the table")
    return problems


def _rule_modes(conn: psycopg.Connection) -> dict[str, str]:
    if conn.execute("SELECT to_regclass('dbguard.rule_settings')").fetchone()[0] is None:
        return {}
    return dict(conn.execute("SELECT rule, mode FROM dbguard.rule_settings").fetchall())


def _keep_rule_modes(conn: psycopg.Connection, modes: dict[str, str]) -> None:
    """Put back the modes of rules whose settings a rollback removed: a later migrate
    re-installs those rules in the mode the DBA chose (install keeps an existing row)."""
    if not modes or conn.execute("SELECT to_regclass('dbguard.rule_settings')").fetchone()[0] is None:
        return
    with conn.transaction():
        conn.execute("""INSERT INTO dbguard.rule_settings (rule, mode)
                        SELECT * FROM unnest(%s::text[], %s::text[]) ON CONFLICT (rule) DO NOTHING""",
                     (list(modes), list(modes.values())))


def _views_dry_run(dsn: str, everything: bool = False) -> list[str]:
    """The audit views a migrate would (re-)install, as SQL (``everything``: all of them)."""
    from . import views

    with connect(dsn, autocommit=True) as conn:
        rendered = views.render_views()
        pending = rendered if everything else views.pending_views(conn, rendered)
    if not pending:
        return []
    body = "".join(f"-- audit view dbguard_audit.{v.name}\n{v.create_sql()}{views.record_sql(v)}" for v in pending)
    return [f"-- audit views\nBEGIN;\n{body}COMMIT;\n"]


def _install_views(dsn: str, budget: float, attempt: str, notify: Callable[[str], None], *,
                   skip_missing: bool = False) -> None:
    """Re-install the audit views whose rendered text changed (under the migrator lock)."""
    from . import views

    done: dict = {}

    def install() -> None:
        with connect(dsn, autocommit=True, options=f"-c lock_timeout={attempt}") as conn:
            done.update(views.install_views(conn, skip_missing=skip_missing))

    try:
        _with_lock_retries(install, budget, "audit views", notify)
    except psycopg.Error as exc:
        raise _fail("audit views", "apply", exc) from exc
    for name, action in done.items():
        notify(f"audit view dbguard_audit.{name} {action}")
