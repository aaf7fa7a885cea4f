"""reconcile counts offending rows, not review entries: a row repaired and queued for a
person is one row, and the outcome of every row found is said once."""

from __future__ import annotations

from dbguard.detection import outcome, reconcile
from tests.legacy_data import call, inject, insert


def _counts(stats) -> tuple[int, int, int, int, int]:
    return stats.found, stats.fixed, stats.queued_for_review, stats.fixed_and_queued, stats.remaining


def test_a_repaired_call_queued_for_a_person_counts_once(conn, connect):
    conn.execute("SET session_replication_role = replica")
    company = insert(conn, "companies", name="Praxis")
    for _ in range(3):
        call(conn, company, session_outcome="appointment_booked", appointment_made=False)
    conn.commit()
    [stats] = reconcile(connect(autocommit=True), rules=["phantom_booking"])
    assert _counts(stats) == (3, 3, 3, 3, 0)
    assert outcome(stats) == "3 calls: 3 repaired and queued for a person to confirm"
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue WHERE status = 'pending'"
                        ).fetchone()[0] == 3


def test_a_row_only_a_person_can_fix_stays_queued_on_every_run(conn, connect):
    inject(conn)
    for _run in range(2):
        [stats] = reconcile(connect(autocommit=True), rules=["cross_tenant_staff"])
        assert _counts(stats) == (1, 0, 1, 0, 1)
        assert outcome(stats) == "1 appointment: 1 queued for a person to decide (not repaired)"
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue WHERE reason = 'cross_tenant_staff'"
                        ).fetchone()[0] == 1


def test_every_row_found_is_repaired_queued_or_left_and_said_so(conn, connect):
    inject(conn)
    for stats in reconcile(connect(autocommit=True)):
        assert stats.fixed + stats.remaining == stats.found, stats
        assert stats.fixed_and_queued <= min(stats.fixed, stats.queued_for_review), stats
        assert stats.queued_for_review <= stats.found, stats
        said = outcome(stats)
        if stats.found:
            assert sum(int(part.split()[0]) for part in said.split(": ", 1)[1].split(", ")) == stats.found, said
        else:
            assert said.startswith("no "), said
