"""dbguard.enqueue_review: priority by reason, one pending entry per call and reason."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("reason, priority", [
    ("appointment_validation_failed", 1), ("calcom_booking_failed", 2), ("customer_creation_failed", 3),
    ("service_not_found", 4), ("something_else", 5),
])
def test_priority_follows_the_reason(conn, reason, priority):
    review_id = conn.execute("SELECT dbguard.enqueue_review(7, %s, '{}')", (reason,)).fetchone()[0]
    assert conn.execute("SELECT priority, status FROM dbguard.manual_review_queue WHERE id = %s",
                        (review_id,)).fetchone() == (priority, "pending")


def test_one_pending_entry_per_call_and_reason_keeps_the_first_context_and_counts_repeats(conn):
    first = conn.execute("""SELECT dbguard.enqueue_review(7, 'service_not_found', '{"a": 1}')""").fetchone()[0]
    second = conn.execute("""SELECT dbguard.enqueue_review(7, 'service_not_found', '{"b": 2}')""").fetchone()[0]
    other = conn.execute("""SELECT dbguard.enqueue_review(7, 'calcom_booking_failed', '{}')""").fetchone()[0]
    assert first == second != other
    assert conn.execute("SELECT context, occurrences, last_occurred_at IS NOT NULL FROM dbguard.manual_review_queue "
                        "WHERE id = %s", (first,)).fetchone() == ({"a": 1}, 2, True)
    conn.execute("UPDATE dbguard.manual_review_queue SET status = 'resolved' WHERE id = %s", (first,))
    assert conn.execute("SELECT dbguard.enqueue_review(7, 'service_not_found', '{}')").fetchone()[0] != first


def test_reason_is_required(conn):
    import dbguard
    with pytest.raises(dbguard.errors.RuleViolation, match="needs a reason"):
        conn.execute("SELECT dbguard.enqueue_review(7, '  ', '{}')")
