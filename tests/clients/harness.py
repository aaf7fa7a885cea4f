"""Real application clients driven from pytest: node-postgres, PHP PDO (pdo_pgsql)
and the SQLAlchemy 2.0 ORM on psycopg 3 and on psycopg2.

Each client is a script in this folder (node/client.js, php/client.php,
python/client.py) that speaks the same small protocol, so every scenario runs
unchanged on every client. node and php run as processes (``ClientProcess``:
lines on stdin and stdout); the SQLAlchemy client runs in a thread of the test
process (``ClientThread``: the same lines through queues), with its own engine.

- it connects as a real LOGIN role, never a superuser (the processes through
  the libpq environment, PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD);
- its first line is the request ``{"scenario": ..., "params": ...}``;
- it answers in JSON lines, the last one ``{"result": {...}}`` with the
  client's own view of what happened: ``error`` (kind, sqlstate, message, detail,
  hint, as the driver exposes them), ``notices`` (what its notice handler heard)
  and ``notices_supported``;
- scenario ``opposite`` is interactive: each transaction waits for a line
  before it begins, prints ``{"ready": i}`` after its first write and waits for
  another line, then prints ``{"done": i, "error": ...}``.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import traceback
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
        # Test runs in parallel share the folder: one installs, the others wait and find it done.
        with open(NODE_DIR / ".npm-ci.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (NODE_DIR / "node_modules" / "pg").is_dir():
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
    return ["php", str(HERE / "php" / "client.php")]


@cache
def _sqlalchemy_client():
    """python/client.py as a module (it is a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location("dbguard_clients_sqlalchemy", HERE / "python" / "client.py")
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: SQLAlchemy resolves the mapped annotations through sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class RunningClient:
    """One running client; ``send`` it a line, ``read`` its answers (JSON lines)."""

    client: str
    lines: queue.Queue

    def send(self, obj) -> None:
        raise NotImplementedError

    def read(self) -> dict:
        answer = self.poll(TIMEOUT)
        if answer is None:
            self.kill()
            raise AssertionError(f"{self.client} client gave no answer within {TIMEOUT} s")
        return answer

    def poll(self, timeout: float) -> dict | None:
        """The next answer, or None if there is none within ``timeout`` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            raise AssertionError(f"{self.client} client ended without an answer:\n{self.ended()}")
        return json.loads(line)

    def result(self) -> dict:
        """The final answer; the client must then end cleanly."""
        answer = self.read()
        assert "result" in answer, answer
        self.finish()
        return answer["result"]

    def ended(self) -> str:
        """Why the client ended (its exit code and error output)."""
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError


class ClientProcess(RunningClient):
    """A client in its own process (node, php): the request and lines on stdin, answers on stdout."""

    def __init__(self, client: str, login: dict, scenario: str, **params) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(PGHOST=login["host"], PGPORT=str(login["port"]), PGDATABASE=login["dbname"],
                   PGUSER=login["user"], PGPASSWORD=login["password"])
        self.client = client
        self.proc = subprocess.Popen(command(client), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.send({"scenario": scenario, "params": params})

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, obj) -> None:
        self.proc.stdin.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
        self.proc.stdin.flush()

    def ended(self) -> str:
        self.proc.wait(timeout=TIMEOUT)
        return f"exit {self.proc.returncode}\n{self.proc.stderr.read()}"

    def finish(self) -> None:
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=TIMEOUT)
        assert rc == 0, f"{self.client} client exited {rc}: {self.proc.stderr.read()}"
        self.proc.stdout.close()
        self.proc.stderr.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class ClientThread(RunningClient):
    """The SQLAlchemy client (python/client.py) in a thread of this process, with its own
    engine and connections: the same protocol through queues instead of pipes."""

    def __init__(self, client: str, login: dict, scenario: str, **params) -> None:
        self.client = client
        self.inbox: queue.Queue[str | None] = queue.Queue()
        self.lines = queue.Queue()
        self.error = ""
        module = _sqlalchemy_client()
        self.worker = module.Client(client.removeprefix("sqlalchemy-"), login, self._read_line,
                                    lambda obj: self.lines.put(json.dumps(obj)))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.send({"scenario": scenario, "params": params})
        self.thread.start()

    def _read_line(self) -> str:
        line = self.inbox.get(timeout=TIMEOUT)
        if line is None:
            raise EOFError("the harness stopped this client")
        return line

    def _serve(self) -> None:
        try:
            self.worker.serve()
        except BaseException:  # reported by read()
            self.error = traceback.format_exc()
        finally:
            self.lines.put(None)

    def send(self, obj) -> None:
        self.inbox.put(obj if isinstance(obj, str) else json.dumps(obj))

    def ended(self) -> str:
        self.thread.join(timeout=TIMEOUT)
        return self.error

    def finish(self) -> None:
        self.thread.join(timeout=TIMEOUT)
        assert not self.thread.is_alive() and not self.error, self.error

    def kill(self) -> None:
        self.inbox.put(None)


def start(client: str, login: dict, scenario: str, **params) -> RunningClient:
    """Start ``client`` on ``scenario``."""
    kind = ClientThread if client.startswith("sqlalchemy-") else ClientProcess
    return kind(client, login, scenario, **params)


def run(client: str, login: dict, scenario: str, **params) -> dict:
    """Run one scenario on a fresh client and return its result."""
    running = start(client, login, scenario, **params)
    try:
        return running.result()
    finally:
        running.kill()
