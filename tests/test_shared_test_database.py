"""The test loop's shared database: a test that commits cannot pass there silently, nothing
a test commits or sets reaches the next one, and a test's own transaction blocks still work."""

from __future__ import annotations

import psycopg
import pytest

from tests.plugins import dbserver
from tests.plugins.rolled_back import SharedDatabase, commits

REFUSED = pytest.fail.Exception


@pytest.fixture
def shared(dbguard_template, clone_strategy):
    """A shared database of its own (not the session's), dropped afterwards."""
    database = dbserver.shared_database_named(dbguard_template, f"{dbguard_template.dbname}_shared_probe",
                                              clone_strategy)
    yield database
    database.drop()


def companies(shared: SharedDatabase) -> int:
    return shared.warden.execute("SELECT count(*) FROM public.companies").fetchone()[0]


def test_commit_fails_the_test_naming_it_and_the_marker_and_nothing_is_committed(shared):
    with pytest.raises(REFUSED, match=r"probe::one calls commit\(\).*@pytest\.mark\.commits"):
        with shared.connection("probe::one") as conn:
            conn.execute("INSERT INTO public.companies (name) VALUES ('committed?')")
            conn.commit()
    assert companies(shared) == 0


@pytest.mark.parametrize("switch", ["attribute", "method"])
def test_autocommit_fails_the_test(shared, switch):
    with pytest.raises(REFUSED, match="switches the connection to autocommit"):
        with shared.connection("probe::autocommit") as conn:
            if switch == "attribute":
                conn.autocommit = True
            else:
                conn.set_autocommit(True)


def test_a_top_level_transaction_block_fails_the_test_and_is_rolled_back(shared):
    with pytest.raises(REFUSED, match="top-level `with conn.transaction\\(\\)` block"):
        with shared.connection("probe::block") as conn:
            with conn.transaction():
                conn.execute("INSERT INTO public.companies (name) VALUES ('in a block')")
    assert companies(shared) == 0


def test_transaction_blocks_inside_the_tests_transaction_are_savepoints(shared):
    with shared.connection("probe::savepoints") as conn:
        conn.execute("INSERT INTO public.companies (name) VALUES ('kept')")
        with pytest.raises(psycopg.errors.DivisionByZero):
            with conn.transaction():
                conn.execute("INSERT INTO public.companies (name) VALUES ('undone')")
                conn.execute("SELECT 1 / 0")
        with conn.transaction():
            conn.execute("INSERT INTO public.companies (name) VALUES ('released')")
        names = [r[0] for r in conn.execute("SELECT name FROM public.companies ORDER BY name")]
        assert names == ["kept", "released"]
    assert companies(shared) == 0


@pytest.mark.parametrize("statement, table", [
    ("INSERT INTO public.companies (name) VALUES ('raw')", "public.companies"),
    ("CREATE FUNCTION public.probe() RETURNS int LANGUAGE sql AS 'SELECT 1'", "pg_catalog.pg_proc"),
])
def test_a_commit_in_sql_is_found_after_the_test_and_the_database_is_rebuilt(shared, statement, table):
    with pytest.raises(REFUSED, match=rf"probe::raw committed to the shared test database: {table} "):
        with shared.connection("probe::raw") as conn:
            conn.execute(statement)
            conn.execute("COMMIT")
    assert shared.changes() == []
    assert companies(shared) == 0


def test_session_settings_do_not_reach_the_next_test(shared):
    with shared.connection("probe::first") as conn:
        conn.execute("SET work_mem = '7MB'")
        conn.execute("SELECT set_config('dbguard.actor', 'first test', false)")
    with shared.connection("probe::second") as conn:
        assert conn.execute("SHOW work_mem").fetchone()[0] != "7MB"
        assert conn.execute("SELECT current_setting('dbguard.actor', true)").fetchone()[0] in (None, "")


# What the classification reads: calls in a test, in its fixtures and in the tests' helpers.

def _commits_directly(conn):
    conn.execute("SELECT 1")
    conn.commit()


def _commits_through_a_helper(conn):
    _commits_directly(conn)


def _opens_autocommit(dsn):
    psycopg.connect(dsn, autocommit=True).close()


def _sets_autocommit(conn):
    conn.autocommit = True


def _reads_only(conn):
    with conn.transaction():
        return conn.execute("SELECT 1").fetchone()


@pytest.mark.parametrize("func, expected", [
    (_commits_directly, True), (_commits_through_a_helper, True), (_opens_autocommit, True),
    (_sets_autocommit, True), (_reads_only, False),
])
def test_a_commit_is_found_in_the_test_or_the_helpers_it_calls(func, expected):
    assert commits(func) is expected
