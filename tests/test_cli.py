"""The command line: connection resolution, one-line errors, documented commands."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from dbguard.cli import cli
from dbguard.connection import resolve_dsn

README = Path(__file__).resolve().parent.parent / "README.md"


def run(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_dsn_resolution_order(monkeypatch):
    monkeypatch.setenv("DBGUARD_DSN", "dbname=from_dbguard_dsn")
    monkeypatch.setenv("DATABASE_URL", "dbname=from_database_url")
    assert resolve_dsn("dbname=explicit") == "dbname=explicit"
    assert resolve_dsn(None) == "dbname=from_dbguard_dsn"
    monkeypatch.delenv("DBGUARD_DSN")
    assert resolve_dsn(None) == "dbname=from_database_url"


@pytest.mark.parametrize("dsn, expected", [
    ("postgresql://nobody@127.0.0.1:1/nothing", "cannot connect to"),
    ("this is not a dsn", "invalid DSN"),
])
def test_bad_dsn_gives_one_line_and_no_traceback(dsn, expected):
    result = run("--dsn", dsn, "status")
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_database_url_is_used_when_no_dsn_is_given(dsn):
    import os
    env = {k: v for k, v in os.environ.items() if k != "DBGUARD_DSN"}
    env["DATABASE_URL"] = dsn
    result = run("rules", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert '"call_direction_default"' in result.stdout


def test_rules_set_mode_from_the_command_line(dsn, conn):
    assert run("--dsn", dsn, "rules", "set-mode", "call_direction_default", "alert").returncode == 0
    assert conn.execute("SELECT mode FROM dbguard.rule_settings WHERE rule = 'call_direction_default'").fetchone() \
        == ("alert",)
    bad = run("--dsn", dsn, "rules", "set-mode", "no_such_rule", "alert")
    assert bad.returncode == 2 and "unknown rule 'no_such_rule'" in bad.stderr


def test_migrate_dry_run_on_a_fresh_database_prints_sql(blank_dsn):
    result = run("--dsn", blank_dsn, "migrate", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "-- migration 0001_baseline" in result.stdout


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        out.append(full)
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full + " ")
    return out


def test_every_command_is_documented_in_the_readme():
    text = README.read_text()
    missing = [c for c in _commands(cli) if not re.search(rf"dbguard {re.escape(c)}\b", text)]
    assert missing == []


@pytest.mark.slow
def test_embedded_server_starts_on_demand_announced_and_survives_between_commands(tmp_path):
    from tests.cli_run import clean_env
    env = clean_env(DBGUARD_HOME=str(tmp_path / ".dbguard"))
    try:
        first = run("migrate", env=env)
        assert first.returncode == 0, first.stderr
        assert first.stderr.startswith(
            "dbguard: no database given (--dsn, DBGUARD_DSN, DATABASE_URL, PG* variables); "
            f"using the embedded PostgreSQL at {tmp_path / '.dbguard'}\n")
        status = run("embedded", "status", env=env)
        assert status.stdout.startswith("running")
        second = run("status", "--check", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
    finally:
        stopped = run("embedded", "stop", env=env)
    assert stopped.stdout.strip() == "stopped"
    assert run("embedded", "status", env=env).stdout.startswith("stopped")


def test_ci_runs_the_readme_test_command():
    text = README.read_text()
    blocks = re.findall(r"```sh\n(.+?)\n```", text)
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (README.parent / ".ci" / "run").read_text()
    assert test_command in ci
