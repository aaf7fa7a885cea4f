"""pytest fixtures for an application's own tests: a database with dbguard's rules
installed, fresh for every test, in the rule modes the test asks for.

Installed with the package (entry point ``pytest11``); nothing happens until a
test uses one of the fixtures, and every name is prefixed ``dbguard_``::

    import psycopg, pytest
    from dbguard.pytest_plugin import assert_alert_recorded, assert_rule_violation

    @pytest.mark.dbguard_modes(outcome_flag_sync="enforce")
    def test_my_app_never_saves_a_phantom_booking(dbguard_dsn):
        with psycopg.connect(dbguard_dsn) as conn, assert_rule_violation("FlagMismatch", conn):
            my_app.save_call(conn, outcome="appointment_booked", appointment_made=False)

    def test_correct_mode_repairs_and_alerts(dbguard_conn):
        dbguard_conn.execute("INSERT INTO public.calls (session_outcome) VALUES ('appointment_booked')")
        assert_alert_recorded(dbguard_conn, "session_outcome_mismatch", auto_corrected=True)

Fixtures: ``dbguard_dsn`` / ``dbguard_conn`` (this test's database),
``dbguard_server_dsn`` (the server), ``dbguard_template`` (the migrated template's name).
Which server: ``--dbguard-dsn DSN`` (or ini ``dbguard_dsn``, or ``$DBGUARD_PYTEST_DSN``),
a superuser or a role with CREATEDB; else an embedded PostgreSQL started once per
session in a temporary directory. ``--dbguard-setup-sql FILE`` (ini
``dbguard_setup_sql``) runs your own schema first, so the migration meets your
tables as it would in production. The template is migrated once per session;
each test gets ``CREATE DATABASE ... TEMPLATE`` of it, dropped afterwards.
See docs/testing-with-dbguard.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

ENV_DSN = "DBGUARD_PYTEST_DSN"
MARKER = "dbguard_modes"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dbguard", "dbguard test databases (dbguard.pytest_plugin)")
    group.addoption("--dbguard-dsn", default=None, metavar="DSN",
                    help=f"Server for dbguard_dsn/dbguard_conn test databases (else ${ENV_DSN}, "
                         "else an embedded PostgreSQL).")
    group.addoption("--dbguard-setup-sql", default=None, metavar="FILE",
                    help="SQL run on the template before dbguard migrates it (your own schema).")
    parser.addini("dbguard_dsn", "Server for the dbguard test databases.", default="")
    parser.addini("dbguard_setup_sql", "SQL file run on the template before dbguard migrates it.", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(default=None, **modes): rule modes for this test's dbguard database, "
                   "e.g. dbguard_modes('enforce', lead_rollup='off'); default applies to every other rule.")


def _setting(config: pytest.Config, name: str, env: str | None = None) -> str | None:
    return config.getoption(f"--{name.replace('_', '-')}") or config.getini(name) or (env and os.environ.get(env)) or None


def _with_db(dsn: str, dbname: str) -> str:
    params = conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return make_conninfo(**params)


def _drop(server_dsn: str, name: str) -> None:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def dbguard_server_dsn(pytestconfig: pytest.Config) -> Iterator[str]:
    """DSN of the server's maintenance database (given, or an embedded server for this session)."""
    given = _setting(pytestconfig, "dbguard_dsn", ENV_DSN)
    if given:
        yield given
        return
    from . import embedded

    base = Path(tempfile.mkdtemp(prefix="dbguard-pytest-"))
    try:
        yield embedded.start(base, database="postgres")
    finally:
        embedded.stop(base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def dbguard_template(pytestconfig: pytest.Config, dbguard_server_dsn: str) -> Iterator[str]:
    """Name of a database migrated once per session (after --dbguard-setup-sql), cloned per test."""
    from .migrator import migrate

    name = f"dbguard_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbguard_server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        dsn = _with_db(dbguard_server_dsn, name)
        setup = _setting(pytestconfig, "dbguard_setup_sql")
        if setup:
            path = Path(setup)
            if not path.is_absolute():
                path = Path(pytestconfig.rootpath) / path
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(path.read_text(encoding="utf-8"))
        migrate(dsn, notify=lambda _msg: None)
        yield name
    finally:
        _drop(dbguard_server_dsn, name)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # A typo in the marker is reported before the session's template is migrated.
    if item.get_closest_marker(MARKER) is not None:
        _modes(item)


def _modes(node: pytest.Item) -> dict[str, str]:
    from .rules import MODES, shipped_rules

    marker = node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if len(marker.args) > 1:
        raise pytest.UsageError(f"@{MARKER} takes at most one default mode, got {marker.args!r}")
    default = marker.args[0] if marker.args else None
    rules = shipped_rules()
    unknown = sorted(set(marker.kwargs) - set(rules))
    bad = sorted({m for m in [default, *marker.kwargs.values()] if m is not None and m not in MODES})
    if unknown or bad:
        raise pytest.UsageError(
            f"@{MARKER} on {node.nodeid}: "
            + (f"unknown rule(s) {', '.join(unknown)} (rules: {', '.join(sorted(rules))}) " if unknown else "")
            + (f"unknown mode(s) {', '.join(bad)} (modes: {', '.join(MODES)})" if bad else ""))
    modes = {rule: default for rule in rules} if default else {}
    modes.update(marker.kwargs)
    return modes


@pytest.fixture
def dbguard_dsn(request: pytest.FixtureRequest, dbguard_server_dsn: str, dbguard_template: str) -> Iterator[str]:
    """DSN of this test's own database: a clone of the migrated template, in the marker's rule modes."""
    from .rules import set_mode

    name = f"dbguard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbguard_server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(dbguard_template)))
    try:
        dsn = _with_db(dbguard_server_dsn, name)
        modes = _modes(request.node)
        if modes:
            with psycopg.connect(dsn) as conn:
                for rule, mode in modes.items():
                    set_mode(conn, rule, mode)
                conn.commit()
        yield dsn
    finally:
        _drop(dbguard_server_dsn, name)


@pytest.fixture
def dbguard_conn(dbguard_dsn: str) -> Iterator[psycopg.Connection]:
    """A connection (not autocommit) to this test's database, closed afterwards."""
    conn = psycopg.connect(dbguard_dsn)
    try:
        yield conn
    finally:
        conn.close()


# --- helpers -------------------------------------------------------------------

def _violation_classes() -> dict[str, type]:
    from . import errors

    found = {}
    for obj in vars(errors).values():
        if isinstance(obj, type) and issubclass(obj, errors.RuleViolation):
            found[obj.__name__] = obj
    return found


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def resolve_violation(code: str | type) -> tuple[str, frozenset[str]]:
    """(description, SQLSTATEs) of a dbguard error: a class of dbguard.errors, its name
    ('BookingWithoutAppointment' or 'booking_without_appointment'), or a SQLSTATE.
    RuleViolation stands for every dbguard rule violation."""
    from . import errors

    classes = _violation_classes()
    if isinstance(code, str):
        by_name = {**classes, **{_snake(n): c for n, c in classes.items()}}
        if code in by_name:
            code = by_name[code]
        elif any(getattr(c, "sqlstate", None) == code for c in classes.values()):
            return f"SQLSTATE {code}", frozenset({code})
        else:
            known = ", ".join(sorted(n for n in classes if n != "RuleViolation"))
            raise ValueError(f"unknown dbguard error {code!r}; use a SQLSTATE or one of: {known}")
    if not (isinstance(code, type) and issubclass(code, errors.RuleViolation)):
        raise ValueError(f"{code!r} is not a dbguard.errors.RuleViolation class")
    states = frozenset(c.sqlstate for c in classes.values() if issubclass(c, code) and getattr(c, "sqlstate", None))
    return f"{code.__name__} (SQLSTATE {', '.join(sorted(states))})", states


@dataclass
class Refusal:
    """What assert_rule_violation caught: the psycopg error, with its diag."""
    error: psycopg.Error | None = None
    sqlstate: str | None = None


@contextlib.contextmanager
def assert_rule_violation(code: str | type, conn: psycopg.Connection | None = None) -> Iterator[Refusal]:
    """The block must fail with this dbguard error (by class, class name or SQLSTATE).

    A deferred rule (booking_confirmed_requires_appointment) fails at commit: put the
    commit inside the block. With ``conn`` the failed transaction is rolled back, so
    the test can go on using the connection."""
    __tracebackhide__ = True
    what, states = resolve_violation(code)
    caught = Refusal()
    try:
        yield caught
    except psycopg.Error as exc:
        caught.error, caught.sqlstate = exc, exc.sqlstate
        if conn is not None and not conn.closed:
            conn.rollback()
        if exc.sqlstate not in states:
            pytest.fail(f"expected the write to be refused with {what}; got SQLSTATE {exc.sqlstate}: "
                        f"{' '.join(str(exc).split())}", pytrace=False)
        return
    pytest.fail(f"expected the write to be refused with {what}; it succeeded", pytrace=False)


def assert_alert_recorded(conn: psycopg.Connection, alert_type: str, *, entity_type: str | None = None,
                          entity_id: object = None, severity: str | None = None,
                          auto_corrected: bool | None = None, detected_by: str | None = None) -> list[dict]:
    """At least one alert of ``alert_type`` (and the given attributes) is in
    dbguard.data_consistency_alerts, as seen by ``conn`` (its own transaction included);
    returns the matching alerts. The failure lists the alerts that were recorded."""
    __tracebackhide__ = True
    cur = conn.cursor(row_factory=dict_row)
    rows = cur.execute(
        """SELECT id, alert_type, severity, entity_type, entity_id, description, details, detected_by,
                  auto_corrected, resolved_at
             FROM dbguard.data_consistency_alerts ORDER BY id""").fetchall()
    wanted = {"alert_type": alert_type, "entity_type": entity_type,
              "entity_id": None if entity_id is None else str(entity_id), "severity": severity,
              "auto_corrected": auto_corrected, "detected_by": detected_by}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    matching = [r for r in rows if all(r[k] == v for k, v in wanted.items())]
    if not matching:
        seen = "\n".join(f"  {r['alert_type']} {r['severity']} {r['entity_type']} {r['entity_id']} "
                         f"auto_corrected={r['auto_corrected']} by {r['detected_by']}" for r in rows) or "  (none)"
        pytest.fail(f"no alert matching {wanted}; alerts recorded:\n{seen}", pytrace=False)
    return matching
