"""Isolation specs: concurrent sessions on the manual review queue."""

from __future__ import annotations

import psycopg

from .isolation.runner import Spec, run_spec


def _reset(conn: psycopg.Connection) -> None:
    conn.execute("TRUNCATE dbguard.manual_review_queue")


def _one_pending_entry(conn: psycopg.Connection) -> None:
    rows = conn.execute("SELECT call_id, reason, context, occurrences FROM dbguard.manual_review_queue "
                        "WHERE status = 'pending'").fetchall()
    assert len(rows) == 1, rows
    # The first request's evidence, whichever session it was, and the repeat counted.
    assert rows[0][2] in ({"s1": True}, {"s2": True}) and rows[0][3] == 2, rows


ENQUEUE_TWICE = Spec(
    name="enqueue_review_same_call",
    sessions={
        "s1": [("s1_begin", "BEGIN"),
               ("s1_enqueue", """SELECT dbguard.enqueue_review(1, 'service_not_found', '{"s1": true}')"""),
               ("s1_commit", "COMMIT")],
        "s2": [("s2_begin", "BEGIN"),
               ("s2_enqueue", """SELECT dbguard.enqueue_review(1, 'service_not_found', '{"s2": true}')"""),
               ("s2_commit", "COMMIT")],
    },
    check=_one_pending_entry,
)


def test_concurrent_enqueue_of_the_same_call_and_reason_keeps_one_pending_entry(dsn):
    outcomes = run_spec(dsn, ENQUEUE_TWICE, _reset)
    valid = [o for o in outcomes if o.valid]
    assert len(outcomes) == 20
    # s2_enqueue waits for s1's uncommitted entry in the orders where s1 enqueued first, and so on.
    assert len(valid) >= 6
