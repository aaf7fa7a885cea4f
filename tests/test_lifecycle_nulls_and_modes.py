"""Every lifecycle rule, in every mode, copes with NULL in every nullable column,
and writes through a whole lifecycle without failing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from psycopg.types.json import Jsonb

import dbguard
from dbguard.rules import shipped_rules

from .plugins.lifecycle import insert, update


RULES = ["creation_metadata", "pii_redaction", "cancellation_metadata", "reschedule_metadata", "reschedule_chain",
         "lead_rollup", "appointment_history"]
T0 = datetime(2031, 7, 1, 9, 0, tzinfo=timezone.utc)

NULLABLE = ["company_id", "branch_id", "customer_id", "lead_id", "service_id", "staff_id", "call_id", "starts_at",
            "ends_at", "booking_timezone", "status", "status_changed_at", "source", "booking_source", "created_by",
            "cancelled_at", "cancelled_by", "cancelled_by_user_id", "cancellation_reason", "rescheduled_at",
            "rescheduled_by", "rescheduled_by_user_id", "rescheduled_from_id", "provider", "calcom_v2_booking_id",
            "external_id", "calcom_event_type_id", "calcom_host_id", "ghl_appointment_id", "calendly_invitee_uri",
            "calendly_scheduled_event_uri", "notes", "metadata"]


def test_all_rules_are_installed_with_their_triggers(conn):
    rows = {r["rule"]: r for r in dbguard.rules(conn)}
    for rule in RULES:
        # the version shipped
        newest = shipped_rules()[rule]
        assert rows[rule]["version"] == newest and rows[rule]["mode"] == "correct"
        assert rows[rule]["drift"] == "none" and rows[rule]["triggers"], rule


@pytest.mark.parametrize("mode", ["off", "alert", "correct", "enforce"])
def test_nulls_everywhere_in_every_mode(conn, mode, make_lead):
    dbguard.set_modes(conn, dict.fromkeys(RULES, mode))
    conn.execute("SET LOCAL dbguard.actor = ''")  # set but empty reads as unset
    a = insert(conn, "appointments", **{c: None for c in NULLABLE})
    update(conn, "appointments", a["id"], **{c: None for c in NULLABLE})
    insert(conn, "appointments")
    insert(conn, "appointments", status="cancelled", metadata=Jsonb(None))
    insert(conn, "appointment_events", event=None, details=None)
    lead = make_lead()
    b = insert(conn, "appointments", lead_id=lead, starts_at=T0, metadata=Jsonb({"k": [None, {}, []]}))["id"]
    c = insert(conn, "appointments", lead_id=lead, rescheduled_from_id=b)["id"]
    update(conn, "appointments", c, status=None, starts_at=T0, lead_id=None)
    update(conn, "appointments", c, starts_at=None, status="cancelled", cancelled_at=None)
    update(conn, "appointments", b, starts_at=T0 + timedelta(hours=1), ends_at=None)
    conn.execute("DELETE FROM public.appointments")
    conn.commit()


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("mode", ["off", "alert", "correct", "enforce"])
def test_clean_lifecycle_passes_each_rule_in_each_mode(conn, make_lead, rule, mode):
    dbguard.set_mode(conn, rule, mode)
    conn.execute("SET LOCAL dbguard.actor = 'retell_ai'")
    lead = make_lead()
    first = insert(conn, "appointments", lead_id=lead, starts_at=T0, ends_at=T0 + timedelta(minutes=30),
                   source="retell_webhook", metadata=Jsonb({"uid": "x1"}))["id"]
    update(conn, "appointments", first, status="confirmed")
    update(conn, "appointments", first, starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=1, minutes=30))
    second = insert(conn, "appointments", lead_id=lead, starts_at=T0 + timedelta(days=2), rescheduled_from_id=first)["id"]
    update(conn, "appointments", second, status="cancelled")
    update(conn, "appointments", second, status="scheduled")
    conn.execute("DELETE FROM public.appointments WHERE id = %s", (second,))
    conn.commit()
    history = conn.execute("SELECT count(*) FROM public.appointment_events").fetchone()[0]
    assert (history == 0) == (rule == "appointment_history" and mode == "off")


def test_lifecycle_functions_pin_pg_catalog_first_and_run_as_their_owner_only_as_triggers(conn):
    rows = conn.execute("""
        SELECT p.proname, p.prosecdef, p.proconfig
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'dbguard'
           AND p.proname IN ('tg_appointments__before_row', 'tg_appointment_events__before_row',
                             'tg_appointments__after_row', 'tg_appointments__lead_rollup',
                             'tg_appointments__history', 'redact_pii', 'redact_pii_text', 'rule_violation',
                             'lead_primary_appointment', 'refresh_lead_rollup', 'refresh_locked_lead_rollup')""").fetchall()
    assert len(rows) == 11
    # The privilege model (docs/security.md): the rules run as their owner; of the helpers only
    # redact_pii does (the analyst's views call it); none is executable by PUBLIC.
    for name, definer, config in rows:
        assert config == ["search_path=pg_catalog, pg_temp"], name
        assert definer is (name.startswith("tg_") or name == "redact_pii"), name
