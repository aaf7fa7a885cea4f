"""Real application clients driven from pytest: node-postgres, PHP PDO (pdo_pgsql)
and the SQLAlchemy 2.0 ORM on psycopg 3 and on psycopg2.

Each client is a script in this folder (node/client.js, php/client.php,
python/client.py) that speaks the same small protocol, so every scenario runs
unchanged on every client:

- it connects with the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER,
  PGPASSWORD) that ``ClientProcess`` sets: a real LOGIN role, never a superuser;
- its first line on stdin is the request ``{"scenario": ..., "params": ...}``;
- it answers in JSON lines on stdout, the last one ``{"result": {...}}`` with the
  client's own view of what happened: ``error`` (kind, sqlstate, message, detail,
  hint, as the driver exposes them), ``notices`` (what its notice handler heard)
  and ``notices_supported``;
- scenario ``opposite`` is interactive: each transaction waits for a line on stdin
  before it begins, prints ``{"ready": i}`` after its first write and waits for
  another line, then prints ``{"done": i, "error": ...}``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
CLIENTS = ("node", "php", "sqlalchemy-psycopg", "sqlalchemy-psycopg2")
# A client that does not answer within this is hung (a lock wait nobody resolves).
TIMEOUT = 60


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)


@cache
def node_ready() -> str | None:
    """None when node-postgres can run, else why not. Installs node_modules with ``npm ci``
    (the committed package-lock.json) once, when .ci/run has not done it already."""
    if not shutil.which("node"):
        return "node is not installed (apt-get install nodejs npm; .ci/run does this)"
    if not (NODE_DIR / "node_modules" / "pg").is_dir():
        if not shutil.which("npm"):
            return "npm is not installed (apt-get install npm; .ci/run does this)"
        done = _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR)
        if done.returncode != 0:
            return f"npm ci in {NODE_DIR} failed: {done.stderr.strip()[-500:]}"
    return None


@cache
def php_ready() -> str | None:
    if not shutil.which("php"):
        return "php is not installed (apt-get install php-cli php-pgsql; .ci/run does this)"
    modules = _run(["php", "-m"]).stdout.split()
    if "pdo_pgsql" not in modules:
        return "php has no pdo_pgsql module (apt-get install php-pgsql; .ci/run does this)"
    return None


def _python_ready(driver: str) -> str | None:
    for module in ("sqlalchemy", driver):
        if importlib.util.find_spec(module) is None:
            return f"python module {module} is missing (pip install -e '.[test]')"
    return None


def unavailable(client: str) -> str | None:
    """Why ``client`` cannot run here, or None."""
    if client == "node":
        return node_ready()
    if client == "php":
        return php_ready()
    return _python_ready(client.removeprefix("sqlalchemy-"))


def command(client: str) -> list[str]:
    if client == "node":
        return ["node", str(NODE_DIR / "client.js")]
    if client == "php":
        return ["php", str(HERE / "php" / "client.php")]
    return [sys.executable, str(HERE / "python" / "client.py"), client.removeprefix("sqlalchemy-")]


class ClientProcess:
    """One running client; ``send`` a request, ``read`` its answers."""

    def __init__(self, client: str, login: dict, scenario: str, **params) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(PGHOST=login["host"], PGPORT=str(login["port"]), PGDATABASE=login["dbname"],
                   PGUSER=login["user"], PGPASSWORD=login["password"])
        self.client = client
        self.proc = subprocess.Popen(command(client), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.send({"scenario": scenario, "params": params})

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, obj) -> None:
        self.proc.stdin.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict:
        answer = self.poll(TIMEOUT)
        if answer is None:
            self.proc.kill()
            raise AssertionError(f"{self.client} client gave no answer within {TIMEOUT} s")
        return answer

    def poll(self, timeout: float) -> dict | None:
        """The next answer, or None if there is none within ``timeout`` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self.proc.wait(timeout=TIMEOUT)
            raise AssertionError(f"{self.client} client ended (exit {self.proc.returncode}) without an answer:\n"
                                 f"{self.proc.stderr.read()}")
        return json.loads(line)

    def result(self) -> dict:
        """The final answer; the process must then end cleanly."""
        answer = self.read()
        assert "result" in answer, answer
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=TIMEOUT)
        assert rc == 0, f"{self.client} client exited {rc}: {self.proc.stderr.read()}"
        self.proc.stdout.close()
        self.proc.stderr.close()
        return answer["result"]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run(client: str, login: dict, scenario: str, **params) -> dict:
    """Run one scenario on a fresh client process and return its result."""
    proc = ClientProcess(client, login, scenario, **params)
    try:
        return proc.result()
    finally:
        proc.kill()
