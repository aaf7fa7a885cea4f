"""Running the ``dbguard`` command line in tests: in this process (fast, output
captured) or as a subprocess (what a shell sees: the real exit status, stderr)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from dbguard.cli import main
from dbguard.connection import ENV_VARS, LIBPQ_ENV_VARS


@dataclass
class Ran:
    code: int
    out: str
    err: str


def in_process(capsys, *args: str) -> Ran:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any variable that names a database, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS + LIBPQ_ENV_VARS}
    env.update(extra)
    return env


def subprocess_run(*args: str, env: dict[str, str] | None = None, cwd=None) -> Ran:
    done = subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)
    return Ran(done.returncode, done.stdout, done.stderr)


def watch_one_alert(dsn: str, connect, raise_alert: str, params=(), *args: str) -> Ran:
    """``dbguard watch --count 1`` in a subprocess while another session runs
    ``raise_alert`` (SQL) once the watcher listens."""
    proc = subprocess.Popen([sys.executable, "-m", "dbguard", "--dsn", dsn, "watch", "--count", "1",
                             "--timeout", "60", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "listening on dbguard_alerts" in proc.stderr.readline()
        other = connect()
        other.execute(raise_alert, params)
        other.commit()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return Ran(proc.returncode, out, err)
