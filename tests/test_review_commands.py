"""dbguard review: list the manual review queue, resolve or dismiss entries (library and CLI)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dbguard
from dbguard.errors import DbguardError


@pytest.fixture
def queue(conn):
    ids = {}
    for call_id, reason in [(1, "something_else"), (2, "appointment_validation_failed"), (3, "service_not_found"),
                            (4, "service_not_found")]:
        ids[call_id] = conn.execute("SELECT dbguard.enqueue_review(%s, %s, '{\"n\": 1}')",
                                    (call_id, reason)).fetchone()[0]
    conn.commit()
    return ids


def run(dsn, *args):
    return subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, *args], capture_output=True, text=True,
                          timeout=120)


def test_list_is_most_urgent_first_and_filters(conn, queue):
    assert [r["call_id"] for r in dbguard.review(conn)] == [2, 3, 4, 1]
    assert [r["call_id"] for r in dbguard.review(conn, reason="service_not_found")] == [3, 4]
    assert [r["call_id"] for r in dbguard.review(conn, call_id=4)] == [4]
    assert [r["call_id"] for r in dbguard.review(conn, max_priority=1)] == [2]
    assert dbguard.review(conn)[0]["context"] == {"n": 1}
    with pytest.raises(DbguardError, match="unknown review status"):
        dbguard.review(conn, status=["open"])


def test_resolve_and_dismiss_close_entries_with_a_note(conn, queue):
    resolved = dbguard.review_resolve(conn, queue[2], "appointment created by hand", by="alice")
    assert (resolved["status"], resolved["resolved_by"], resolved["resolution_note"]) == \
        ("resolved", "alice", "appointment created by hand")
    assert resolved["resolved_at"] is not None
    dismissed = dbguard.review_dismiss(conn, queue[1], "test call")
    assert dismissed["status"] == "dismissed"
    assert dismissed["resolved_by"] == conn.execute("SELECT current_user").fetchone()[0]
    assert [r["call_id"] for r in dbguard.review(conn)] == [3, 4], "closed entries leave the default list"
    assert len(dbguard.review(conn, status=None)) == 4
    assert [r["call_id"] for r in dbguard.review(conn, status=["dismissed"])] == [1]
    with pytest.raises(DbguardError, match="already resolved"):
        dbguard.review_resolve(conn, queue[2], "again")
    with pytest.raises(DbguardError, match="note is required"):
        dbguard.review_dismiss(conn, queue[3], " ")
    with pytest.raises(DbguardError, match="no entry 999999"):
        dbguard.review_resolve(conn, 999999, "x")


def test_start_marks_an_entry_in_progress(conn, queue):
    assert dbguard.review_start(conn, queue[3])["status"] == "in_progress"
    assert [r["call_id"] for r in dbguard.review(conn, status=["in_progress"])] == [3]
    assert dbguard.review_resolve(conn, queue[3], "service created")["status"] == "resolved"


def test_cli_lists_resolves_and_dismisses(conn, dsn, queue):
    listed = run(dsn, "review", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["call_id"] for r in json.loads(listed.stdout)] == [2, 3, 4, 1]
    table = run(dsn, "review", "--reason", "service_not_found")
    assert table.stdout.splitlines()[0].split()[:4] == ["id", "priority", "status", "reason"]
    assert len(table.stdout.splitlines()) == 3

    resolved = run(dsn, "review", "resolve", str(queue[2]), "--note", "fixed by hand", "--by", "bob")
    assert resolved.returncode == 0, resolved.stderr
    assert f"review entry {queue[2]}: resolved by bob" in resolved.stdout
    dismissed = run(dsn, "review", "dismiss", str(queue[1]), "--note", "test call")
    assert dismissed.returncode == 0, dismissed.stderr
    assert conn.execute("SELECT status, resolution_note FROM dbguard.manual_review_queue WHERE id = %s",
                        (queue[1],)).fetchone() == ("dismissed", "test call")
    assert [r["call_id"] for r in json.loads(run(dsn, "review", "--json").stdout)] == [3, 4]
    assert len(json.loads(run(dsn, "review", "--all", "--json").stdout)) == 4

    again = run(dsn, "review", "resolve", str(queue[2]), "--note", "x")
    assert again.returncode == 2 and "already resolved" in again.stderr and "Traceback" not in again.stderr
    missing_note = run(dsn, "review", "resolve", str(queue[3]))
    assert missing_note.returncode != 0 and "--note" in missing_note.stderr
