"""check and reconcile over legacy data: every kind of inconsistency is found,
the automatic repairs fix exactly theirs, nothing is deleted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dbguard
from dbguard.detection import parse_duration
from tests.legacy_data import appointment, call, inject, insert, row_counts


def found(result) -> set[tuple[str, int]]:
    return {(v["rule"], v["entity_id"]) for v in result.violations}


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_check_finds_exactly_the_injected_inconsistencies(conn):
    legacy = inject(conn)
    result = dbguard.check(conn)
    assert found(result) == legacy.expected
    assert {r.rule for r in result.rules if r.count} == {rule for rule, _ in legacy.expected}
    assert result.critical == sum(1 for rule, _ in legacy.expected
                                  if rule in ("phantom_booking", "made_without_appointment",
                                              "confirmed_without_appointment", "cross_tenant_staff"))


def test_reconcile_fixes_the_automatic_ones_and_never_deletes_rows(conn, dsn, connect):
    legacy = inject(conn)
    dbguard.check(conn)
    conn.commit()
    before = row_counts(conn)

    summary = dbguard.reconcile(connect(autocommit=True), batch_size=2)

    assert found(dbguard.check(conn)) == legacy.manual
    assert row_counts(conn) == before
    by_rule = {r.rule: r for r in summary}
    assert by_rule["phantom_booking"].fixed == 2
    assert by_rule["cross_tenant_staff"].fixed == 0 and by_rule["cross_tenant_staff"].queued_for_review == 1
    assert by_rule["missing_lifecycle_metadata"].remaining == 1

    ids = legacy.ids
    rolled_back = conn.execute(
        """SELECT id, appointment_made, booking_confirmed, session_outcome, appointment_link_status
             FROM public.calls WHERE id = ANY(%s) ORDER BY id""",
        ([ids["phantom"], ids["made"], ids["confirmed"]],)).fetchall()
    assert all(r[1:] == (False, False, "creation_failed", "creation_failed") for r in rolled_back)
    assert conn.execute("SELECT appointment_made FROM public.calls WHERE id = %s",
                        (ids["phantom_with_appointment"],)).fetchone() == (True,)
    assert conn.execute("SELECT direction FROM public.calls WHERE id = %s", (ids["no_direction"],)).fetchone() \
        == ("inbound",)
    assert conn.execute("SELECT call_id FROM public.appointments WHERE id = %s", (ids["orphan"],)).fetchone() \
        == (ids["orphan_call"],)
    assert conn.execute("SELECT appointment_link_status, appointment_id FROM public.calls WHERE id = %s",
                        (ids["orphan_call"],)).fetchone() == ("linked", ids["orphan"])
    metadata = conn.execute("SELECT metadata::text FROM public.appointments WHERE id = %s",
                            (ids["pii"],)).fetchone()[0]
    assert "example.com" not in metadata and "1234567 " not in metadata and "12345678" in metadata
    assert "[redacted-email]" in metadata and "[redacted-phone]" in metadata

    reviews = set(conn.execute("SELECT call_id, reason FROM dbguard.manual_review_queue WHERE status = 'pending'"))
    assert {(ids["phantom"], "appointment_validation_failed"), (ids["made"], "appointment_validation_failed"),
            (ids["confirmed"], "appointment_validation_failed"),
            (ids["backfill"], "appointment_backfill_pending"), (None, "cross_tenant_staff")} == reviews
    # The backfillable call keeps its flags: the appointments backfill creates the appointment.
    assert conn.execute("SELECT appointment_made, booking_confirmed FROM public.calls WHERE id = %s",
                        (ids["backfill"],)).fetchone() == (True, True)
    # Alerts of fixed rows are closed as auto-corrected; the manual ones stay open.
    open_alerts = set(conn.execute(
        "SELECT rule, entity_id::bigint FROM dbguard.data_consistency_alerts WHERE resolved_at IS NULL"))
    assert open_alerts == legacy.manual
    assert conn.execute("""SELECT count(*) FROM dbguard.data_consistency_alerts
                            WHERE resolved_by = 'reconcile' AND auto_corrected""").fetchone()[0] \
        == len(legacy.expected - legacy.manual)


def test_reconcile_twice_changes_nothing_more_and_queues_no_duplicates(conn, connect):
    inject(conn)
    dbguard.reconcile(connect(autocommit=True))
    queue = conn.execute("SELECT count(*) FROM dbguard.manual_review_queue").fetchone()[0]
    second = dbguard.reconcile(connect(autocommit=True))
    assert sum(r.fixed for r in second) == 0
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue").fetchone()[0] == queue


def test_reconcile_dry_run_changes_nothing(conn, connect):
    legacy = inject(conn)
    summary = dbguard.reconcile(connect(autocommit=True), dry_run=True)
    assert sum(r.found for r in summary) == len(legacy.expected)
    assert sum(r.fixed for r in summary) == 0
    assert found(dbguard.check(conn, record=False)) == legacy.expected
    assert conn.execute("SELECT count(*) FROM dbguard.manual_review_queue").fetchone()[0] == 0


def test_reconcile_works_in_batches_each_its_own_transaction_tagged_system_cron(conn, connect):
    conn.execute("SET session_replication_role = replica")
    company = insert(conn, "companies", name="c")
    for _ in range(25):
        call(conn, company, direction=None)
    conn.execute("RESET session_replication_role")
    # Record who the writes were tagged with, and in which transaction.
    conn.execute("CREATE TABLE public.seen (txid bigint, actor text, source text)")
    conn.execute("""CREATE FUNCTION public.record_acting() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO public.seen VALUES (txid_current(), dbguard.acting('actor'), dbguard.acting('source'));
                        RETURN NEW;
                    END $$""")
    conn.execute("CREATE TRIGGER record_acting BEFORE UPDATE ON public.calls FOR EACH ROW "
                 "EXECUTE FUNCTION public.record_acting()")
    conn.commit()
    progressed = []
    [result] = dbguard.reconcile(connect(autocommit=True), rules=["call_missing_direction"], batch_size=10,
                                 progress=progressed.append)
    assert (result.found, result.fixed, result.batches) == (25, 25, 3)
    assert progressed == [10, 10, 5]
    assert conn.execute("SELECT count(DISTINCT txid), count(*) FROM public.seen").fetchone() == (3, 25)
    assert set(conn.execute("SELECT actor, source FROM public.seen")) == {("system_cron", "reconcile_cron")}


def test_orphaned_appointment_matches_either_booking_id_and_names_the_oldest_call(conn):
    company = insert(conn, "companies", name="c")
    older = call(conn, company, booking_id="bk-1")
    call(conn, company, booking_id="bk-1")
    by_external = call(conn, company, booking_id="ext-2")
    by_calcom = appointment(conn, company, calcom_v2_booking_id="bk-1")
    by_ext = appointment(conn, company, external_id="ext-2")
    appointment(conn, company, calcom_v2_booking_id="bk-nobody")          # no call carries it
    appointment(conn, company)                                             # no booking id at all
    appointment(conn, company, call_id=older, calcom_v2_booking_id="bk-3")  # has its call
    result = dbguard.check(conn, rules=["orphaned_appointment"], record=False)
    assert [(v["entity_id"], v["call_id"], v["details"]) for v in result.violations] == [
        (by_calcom, older, {"booking_id": "bk-1", "call_id": older}),
        (by_ext, by_external, {"booking_id": "ext-2", "call_id": by_external}),
    ]
    assert result.rules[0].count == 2


def test_check_twice_creates_no_duplicate_open_alerts(conn):
    legacy = inject(conn)
    first = dbguard.check(conn)
    conn.commit()
    second = dbguard.check(conn)
    conn.commit()
    assert sum(r.new_alerts for r in first.rules) == len(legacy.expected)
    assert sum(r.new_alerts for r in second.rules) == 0
    assert conn.execute("""SELECT count(*), count(DISTINCT (alert_type, entity_id))
                             FROM dbguard.data_consistency_alerts WHERE resolved_at IS NULL""").fetchone() \
        == (len(legacy.expected), len(legacy.expected))
    assert conn.execute("SELECT DISTINCT detected_by FROM dbguard.data_consistency_alerts").fetchall() == [("scan",)]


def test_check_resolves_scan_alerts_of_rows_fixed_by_hand(conn):
    legacy = inject(conn)
    dbguard.check(conn)
    conn.execute("UPDATE public.calls SET direction = 'outbound' WHERE id = %s", (legacy.ids["no_direction"],))
    result = dbguard.check(conn)
    assert {r.rule: r.resolved_alerts for r in result.rules}["call_missing_direction"] == 1
    assert conn.execute("""SELECT resolved_by FROM dbguard.data_consistency_alerts
                            WHERE rule = 'call_missing_direction'""").fetchall() == [("scan",)]


def test_check_since_only_looks_at_recent_rows(conn):
    legacy = inject(conn)
    conn.execute("SET session_replication_role = replica")
    conn.execute("UPDATE public.calls SET created_at = now() - interval '3 days' WHERE id = %s",
                 (legacy.ids["no_direction"],))
    conn.execute("RESET session_replication_role")
    recent = dbguard.check(conn, since="1h", record=False)
    assert ("call_missing_direction", legacy.ids["no_direction"]) not in found(recent)
    assert ("call_missing_direction", legacy.ids["no_direction"]) in found(dbguard.check(conn, since="7d"))


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("15m", 900), ("1h", 3600), ("7d", 604800), ("2w", 1209600)])
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["99999999999h", "36501d"])
def test_a_duration_beyond_a_hundred_years_is_a_clear_error_not_an_overflow(text):
    with pytest.raises(dbguard.DbguardError, match="at most 100 years"):
        parse_duration(text)


def test_bad_duration_is_a_clear_error():
    with pytest.raises(dbguard.DbguardError, match="invalid duration '1 fortnight'"):
        parse_duration("1 fortnight")


def test_check_exit_code_says_whether_a_critical_violation_exists(conn, dsn):
    clean = run_cli("--dsn", dsn, "check")
    assert clean.returncode == 0, clean.stderr
    assert "0 violation(s), 0 critical" in clean.stdout

    conn.execute("SET session_replication_role = replica")
    company = insert(conn, "companies", name="c")
    call(conn, company, direction=None)
    conn.commit()
    warning_only = run_cli("--dsn", dsn, "check", "--json", "--fail-on", "critical")
    assert warning_only.returncode == 0, warning_only.stderr
    assert json.loads(warning_only.stdout)["total"] == 1

    phantom = call(conn, company, session_outcome="appointment_booked")
    conn.commit()
    critical = run_cli("--dsn", dsn, "check", "--json", "--fail-on", "critical")
    assert critical.returncode == 1, critical.stderr
    data = json.loads(critical.stdout)
    assert data["critical"] == 1
    assert {"rule": "phantom_booking", "entity_id": phantom} \
        .items() <= next(v for v in data["violations"] if v["rule"] == "phantom_booking").items()


def test_reconcile_command_dry_run_and_summary(conn, dsn):
    legacy = inject(conn)
    dry = run_cli("--dsn", dsn, "reconcile", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert sum(r["found"] for r in json.loads(dry.stdout)["rules"]) == len(legacy.expected)
    real = run_cli("--dsn", dsn, "reconcile", "--rule", "call_missing_direction", "--batch-size", "5", "--progress")
    assert real.returncode == 0, real.stderr
    assert "1 of 1 repaired" in real.stdout
    assert "call_missing_direction" in real.stderr  # the progress bar's label
    unknown = run_cli("--dsn", dsn, "reconcile", "--rule", "no_such_rule")
    assert unknown.returncode == 2 and "unknown detection rule(s) no_such_rule" in unknown.stderr


def test_lead_rollup_follows_the_primary_appointment_rule(conn, connect):
    from tests.legacy_data import appointment
    conn.execute("SET session_replication_role = replica")
    company = insert(conn, "companies", name="c")
    leads = {k: insert(conn, "leads", company_id=company, name=k)
             for k in ("upcoming", "latest_active", "cancelled", "none_left")}

    ids = {}
    for lead, status, days in [("upcoming", "confirmed", -3), ("upcoming", "scheduled", 5),
                               ("upcoming", "scheduled", 9), ("upcoming", "cancelled", 2),
                               ("latest_active", "confirmed", -9), ("latest_active", "scheduled", -2),
                               ("latest_active", "cancelled", 4),
                               ("cancelled", "cancelled", -5), ("cancelled", "cancelled", -1),
                               ("none_left", "completed", -1)]:
        a = appointment(conn, company, lead_id=leads[lead], status=status)
        conn.execute("UPDATE public.appointments SET starts_at = now() + make_interval(days => %s), "
                     "ends_at = now() + make_interval(days => %s, hours => 1) WHERE id = %s", (days, days, a))
        ids[(lead, status, days)] = a
    conn.execute("UPDATE public.leads SET appointment_id = 999999, appointment_status = 'scheduled' "
                 "WHERE id = %s", (leads["none_left"],))
    conn.execute("RESET session_replication_role")
    conn.commit()

    dbguard.reconcile(connect(autocommit=True), rules=["lead_rollup_drift"])
    rollup = dict(conn.execute("SELECT name, appointment_id FROM public.leads").fetchall())
    assert rollup == {"upcoming": ids[("upcoming", "scheduled", 5)],
                      "latest_active": ids[("latest_active", "scheduled", -2)],
                      "cancelled": ids[("cancelled", "cancelled", -1)],
                      "none_left": None}
    assert conn.execute("SELECT appointment_status, appointment_start_at IS NULL FROM public.leads "
                        "WHERE name = 'none_left'").fetchone() == (None, True)
    assert dbguard.check(conn, rules=["lead_rollup_drift"], record=False).total == 0
