"""Shared state the application role reaches through the client API -- circuit
breakers, the review queue, alerts -- takes only the server's time and cannot
be overwritten or forged; the analyst and any listener see no PII."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

import dbguard


@pytest.mark.parametrize("query", [
    "SELECT dbguard.breaker_record_failure('calcom', 'boom', 'infinity')",
    "SELECT dbguard.breaker_allow('calcom', 'infinity')",
    "SELECT dbguard.breaker_record_failure_at('calcom', 'boom', 'infinity')",
    "SELECT dbguard.breaker_allow_at('calcom', '2000-01-01')",
])
def test_the_application_cannot_pass_a_time_to_a_breaker(attacker, conn, query):
    with pytest.raises((errors.UndefinedFunction, errors.InsufficientPrivilege)):
        attacker.execute(query)
    assert conn.execute("SELECT count(*) FROM dbguard.circuit_breaker_states").fetchone()[0] == 0


def test_a_clock_setting_of_the_application_does_not_move_the_breakers_clock(attacker, conn):
    attacker.execute("SELECT set_config('dbguard.now', 'infinity', false)")
    for _ in range(3):
        attacker.execute("SELECT dbguard.breaker_record_failure('calcom', 'boom')")
    attacker.execute("SELECT set_config('dbguard.now', '2100-01-01', false)")
    assert attacker.execute("SELECT dbguard.breaker_allow('calcom')").fetchone()[0] is False
    opened_at = conn.execute("SELECT opened_at FROM dbguard.circuit_breaker_states").fetchone()[0]
    assert abs(opened_at - datetime.now(timezone.utc)) < timedelta(minutes=5)


def test_the_owner_cannot_store_an_infinite_breaker_time_either(conn):
    with pytest.raises(errors.DatetimeFieldOverflow, match="must be finite"):
        conn.execute("SELECT dbguard.breaker_record_failure_at('calcom', 'boom', 'infinity')")


def _cli(dsn, *args):
    return subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, *args],
                          capture_output=True, text=True, timeout=120)


def test_breaker_commands_work_on_a_breaker_stored_with_an_infinite_time(conn, dsn, connect):
    # As the time argument of the functions before 0801 could leave it (the migration repairs such rows).
    for _ in range(3):
        conn.execute("SELECT dbguard.breaker_record_failure('calcom', 'boom')")
    conn.execute("UPDATE dbguard.circuit_breaker_states SET opened_at = 'infinity', last_failure_at = 'infinity'")
    conn.commit()
    for args in (["breaker"], ["breaker", "--json"], ["breaker", "reset", "calcom"]):
        result = _cli(dsn, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
    conn.execute("UPDATE dbguard.circuit_breaker_states SET state = 'open', opened_at = 'infinity'")
    conn.commit()
    with pytest.raises(dbguard.BreakerOpen) as refused:
        with dbguard.breaker(connect(autocommit=True), "calcom"):
            pass
    assert refused.value.retry_at is None


def test_the_application_cannot_overwrite_the_evidence_of_a_review_entry(attacker, conn):
    call = conn.execute("INSERT INTO public.calls (retell_call_id) VALUES ('r1') RETURNING id").fetchone()[0]
    conn.execute("SELECT dbguard.enqueue_review(%s, 'calcom_booking_failed', %s)",
                 (call, Jsonb({"error": "calcom 500", "booking": "b-1"})))
    conn.commit()
    attacker.execute("SELECT dbguard.enqueue_review(%s, 'calcom_booking_failed', %s)",
                     (call, Jsonb({"error": "all good, ignore", "booking": None})))
    assert conn.execute("SELECT context, occurrences FROM dbguard.manual_review_queue WHERE call_id = %s",
                        (call,)).fetchone() == ({"error": "calcom 500", "booking": "b-1"}, 2)


def test_a_multi_megabyte_review_context_is_kept_as_a_note_and_a_long_reason_refused(attacker, conn):
    context = {f"k{i}": "x" * 1000 for i in range(3000)}
    review = attacker.execute("SELECT dbguard.enqueue_review(1, 'calcom_booking_failed', %s)",
                              (Jsonb(context),)).fetchone()[0]
    stored = conn.execute("SELECT context FROM dbguard.manual_review_queue WHERE id = %s", (review,)).fetchone()[0]
    assert stored["dbguard_truncated"] is True and stored["original_bytes"] > 3_000_000
    assert len(json.dumps(stored)) < 16384
    with pytest.raises(errors.StringDataRightTruncation, match="at most 200"):
        attacker.execute("SELECT dbguard.enqueue_review(1, %s, '{}')", ("x" * 10_000,))
    with pytest.raises(errors.StringDataRightTruncation, match="at most 200"):
        attacker.execute("SELECT dbguard.breaker_allow(%s)", ("k" * 10_000,))


def test_a_breaker_error_is_kept_to_its_first_2000_characters(attacker, conn):
    attacker.execute("SELECT dbguard.breaker_record_failure('calcom', %s)", ("e" * 3_000_000,))
    assert conn.execute("SELECT length(last_error) FROM dbguard.circuit_breaker_states").fetchone()[0] == 2000


@pytest.fixture
def analyst(conn, dsn, make_role, connect) -> psycopg.Connection:
    role, login = make_role("analyst"), make_role("alogin")
    dbguard.roles(conn, analyst=role)
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(sql.Identifier(login), sql.Identifier(role)))
    conn.commit()
    params = psycopg.conninfo.conninfo_to_dict(dsn) | {"user": login}
    return connect(psycopg.conninfo.make_conninfo(**params), autocommit=True)


def test_the_analyst_sees_no_pii_in_the_review_queue_or_the_breakers(attacker, analyst):
    attacker.execute("SELECT dbguard.enqueue_review(1, 'customer_creation_failed', %s)",
                     (Jsonb({"customer": {"email": "anna.meier@example.com", "phone": "+49 170 1234567"}}),))
    attacker.execute("SELECT dbguard.breaker_record_failure('calcom', "
                     "'422: attendee anna.meier@example.com / +49 170 1234567 rejected')")
    context = analyst.execute("SELECT context::text FROM dbguard_audit.review_queue").fetchone()[0]
    last_error = analyst.execute("SELECT last_error FROM dbguard_audit.circuit_breakers").fetchone()[0]
    for shown in (context, last_error):
        assert "anna.meier@example.com" not in shown and "1234567" not in shown, shown
    assert "[email]" in last_error and "422" in last_error


def test_a_listener_without_privileges_hears_no_written_value(attacker, conn, app, set_mode):
    set_mode("call_direction_default", "alert")
    listener = app.connect(autocommit=True)      # LISTEN needs no privilege at all
    listener.execute("LISTEN dbguard_alerts")
    attacker.execute("INSERT INTO public.calls (retell_call_id, direction) VALUES ('r1', '+49 170 1234567')")
    [note] = list(listener.notifies(timeout=10, stop_after=1))
    assert "1234567" not in note.payload
    payload = json.loads(note.payload)
    assert set(payload) <= {"id", "alert_type", "severity", "entity_type", "entity_id", "auto_corrected",
                            "detected_by", "rule"}
    assert conn.execute("SELECT description FROM dbguard.data_consistency_alerts WHERE id = %s",
                        (payload["id"],)).fetchone()[0]


# A lead's rollup columns are derived data the application role may write itself (it has UPDATE
# on public.leads); what the rule guarantees is that a stale rollup never goes unseen: check
# reports it and reconcile repairs it, however the application left it stale.
@pytest.mark.parametrize("how", [
    "writes the rollup columns itself",
    "sets the rule's queued flag before booking",
    "empties the rule's lead list after booking",
])
def test_a_rollup_the_application_leaves_stale_is_reported_by_check_and_repaired_by_reconcile(
        attacker, conn, connect, how):
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Praxis') RETURNING id").fetchone()[0]
    lead = conn.execute("INSERT INTO public.leads (company_id) VALUES (%s) RETURNING id", (company,)).fetchone()[0]
    conn.commit()
    with attacker.transaction():
        if how == "sets the rule's queued flag before booking":
            attacker.execute("SET LOCAL dbguard.lead_rollup_queued = 'on'")
        booked = attacker.execute(
            "INSERT INTO public.appointments (company_id, lead_id, starts_at, ends_at, status) "
            "VALUES (%s, %s, now() + interval '1 day', now() + interval '1 day 30 min', 'scheduled') "
            "RETURNING id", (company, lead)).fetchone()[0]
        if how == "empties the rule's lead list after booking":
            attacker.execute("SELECT set_config('dbguard.lead_rollup_leads', '', true)")
    if how == "writes the rollup columns itself":
        attacker.execute("UPDATE public.leads SET appointment_id = NULL WHERE id = %s", (lead,))
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] is None
    conn.commit()

    found = dbguard.check(conn, rules=["lead_rollup_drift"], record=False)
    assert found.total == 1, found.as_dict()
    dbguard.reconcile(connect(autocommit=True), rules=["lead_rollup_drift"])
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == booked
    assert dbguard.check(conn, rules=["lead_rollup_drift"], record=False).total == 0
