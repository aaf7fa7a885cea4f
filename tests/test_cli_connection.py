"""Which database a command uses: --dsn (before or after the command), DBGUARD_DSN,
DATABASE_URL, libpq's PG* variables and service file as psql uses them, and only
then the embedded server -- announced."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from dbguard.connection import EMBEDDED, LIBPQ, LIBPQ_ENV_VARS, resolve
from tests.cli_run import clean_env, in_process, subprocess_run


@pytest.fixture
def no_database_env(monkeypatch):
    for var in ("DBGUARD_DSN", "DATABASE_URL", *LIBPQ_ENV_VARS):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_resolution_order_dsn_then_dbguard_dsn_then_database_url_then_libpq_env(no_database_env):
    env = no_database_env
    env.setenv("PGHOST", "db.example")
    env.setenv("DATABASE_URL", "dbname=from_database_url")
    env.setenv("DBGUARD_DSN", "dbname=from_dbguard_dsn")
    assert resolve("dbname=explicit") == ("dbname=explicit", "--dsn")
    assert resolve(None) == ("dbname=from_dbguard_dsn", "DBGUARD_DSN")
    env.delenv("DBGUARD_DSN")
    assert resolve(None) == ("dbname=from_database_url", "DATABASE_URL")
    env.delenv("DATABASE_URL")
    assert resolve(None) == ("", LIBPQ), "libpq reads PGHOST itself from an empty conninfo"
    env.delenv("PGHOST")
    assert resolve(None, start_embedded=False) == ("", EMBEDDED)


@pytest.mark.parametrize("var", LIBPQ_ENV_VARS)
def test_any_libpq_variable_alone_means_the_libpq_environment(no_database_env, var):
    no_database_env.setenv(var, "x")
    assert resolve(None).source == LIBPQ


def test_pg_variables_alone_reach_the_server_they_name_not_an_embedded_one(dsn, tmp_path):
    params = conninfo_to_dict(dsn)
    env = clean_env(PGHOST=params["host"], PGPORT=str(params["port"]), PGUSER=params["user"],
                    PGDATABASE=params["dbname"], DBGUARD_HOME=str(tmp_path / ".dbguard"))
    result = subprocess_run("status", env=env, cwd=tmp_path)
    assert result.code == 0, result.err
    assert f"database {params['dbname']} " in result.out
    assert "embedded" not in result.err
    assert not (tmp_path / ".dbguard").exists(), "no embedded server was started"


def test_a_service_file_names_the_database(blank_dsn, tmp_path):
    params = conninfo_to_dict(blank_dsn)
    service_file = tmp_path / "pg_service.conf"
    service_file.write_text("[dbguard_target]\n" + "".join(
        f"{key}={params[key]}\n" for key in ("host", "port", "user", "dbname")))
    env = clean_env(PGSERVICEFILE=str(service_file), PGSERVICE="dbguard_target",
                    DBGUARD_HOME=str(tmp_path / ".dbguard"))
    migrated = subprocess_run("migrate", env=env, cwd=tmp_path)
    assert migrated.code == 0, migrated.err
    status = subprocess_run("status", "--check", env=env, cwd=tmp_path)
    assert status.code == 0, status.out + status.err
    assert f"database {params['dbname']} " in status.out
    assert not (tmp_path / ".dbguard").exists()


def test_a_failing_libpq_environment_is_named_in_the_error(tmp_path):
    env = clean_env(PGHOST="127.0.0.1", PGPORT="1", PGUSER="nobody", PGPASSWORD="secret",
                    DBGUARD_HOME=str(tmp_path / ".dbguard"))
    result = subprocess_run("rules", env=env, cwd=tmp_path)
    assert result.code == 2
    assert "cannot connect to the server of the libpq environment (PGHOST=127.0.0.1 PGPORT=1 PGUSER=nobody)" \
        in result.err
    assert "secret" not in result.err


@pytest.mark.parametrize("args", [
    ["status", "--dsn", "{dsn}"],
    ["rules", "--dsn", "{dsn}", "--json"],
    ["rules", "set-mode", "--dsn", "{dsn}", "call_direction_default", "alert"],
    ["review", "--dsn", "{dsn}"],
    ["breaker", "status", "--dsn", "{dsn}"],
    ["check", "--dsn", "{dsn}", "--fail-on", "critical"],
    ["--dsn", "postgresql://nobody@127.0.0.1:1/wrong", "status", "--dsn", "{dsn}"],
])
def test_dsn_is_accepted_after_the_command_and_the_last_one_wins(capsys, dsn, args):
    result = in_process(capsys, *[a.format(dsn=dsn) for a in args])
    assert result.code == 0, result.err


@pytest.mark.parametrize("args", [[], ["status"], ["rules"], ["rules", "set-mode"], ["review", "resolve"],
                                  ["breaker", "configure"], ["embedded", "stop"], ["check"], ["watch"]])
def test_dash_h_is_help_everywhere(capsys, args):
    result = in_process(capsys, *args, "-h")
    assert result.code == 0, result.err
    assert result.out.startswith("Usage: dbguard")
    assert "-h, --help" in result.out
