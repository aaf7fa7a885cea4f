"""The call <-> appointment rules are installed, versioned, reinstallable and ordered as documented."""

from __future__ import annotations

import pytest

import dbguard

EXPECTED = {
    # The latest version of each calls rule, and the triggers that run it.
    # Trigger names are schema-qualified whatever the session's search_path.
    # The BEFORE ROW rules of calls are compiled into one function and trigger.
    "call_direction_default": (7, ["calls.dbguard_100_before_row"]),
    "customer_link_sync": (6, ["calls.dbguard_100_before_row"]),
    "outcome_flag_sync": (7, ["calls.dbguard_100_before_row"]),
    "appointment_link_sync": (8, ["appointments.dbguard_600_appointment_link_sync",
                                  "appointments.dbguard_600_appointment_link_sync_delete",
                                  "appointments.dbguard_600_appointment_link_sync_update",
                                  "calls.dbguard_600_appointment_link_sync",
                                  "calls.dbguard_600_appointment_link_sync_update"]),
    "booking_confirmed_requires_appointment": (6, ["appointments.dbguard_900_booking_confirmed_requires_appointment",
                                                   "calls.dbguard_900_booking_confirmed_requires_appointment",
                                                   "calls.dbguard_900_booking_confirmed_requires_appointment_insert"]),
}


def test_each_rule_is_installed_with_its_version_triggers_and_default_mode(conn):
    rules = {r["rule"]: r for r in dbguard.rules(conn)}
    for rule, (version, triggers) in EXPECTED.items():
        got = rules[rule]
        assert (got["version"], sorted(got["triggers"]), got["mode"], got["drift"], got["source"]) == \
            (version, [f"public.{t}" for t in triggers], "correct", "none", "ok"), rule


def test_commit_time_check_is_a_deferred_constraint_trigger(conn):
    rows = conn.execute("SELECT tgrelid::regclass::text, tgdeferrable, tginitdeferred FROM pg_trigger "
                        "WHERE tgname LIKE 'dbguard_900_booking_confirmed_requires_appointment%' ORDER BY 1").fetchall()
    assert rows == [("appointments", True, True), ("calls", True, True), ("calls", True, True)]


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_reinstall_restores_dropped_triggers(conn, rule):
    version, triggers = EXPECTED[rule]
    for qualified in triggers:
        table, name = qualified.split(".")
        conn.execute(f"DROP TRIGGER {name} ON public.{table}")
    conn.commit()
    assert next(r for r in dbguard.rules(conn) if r["rule"] == rule)["drift"] == "trigger_missing"
    dbguard.reinstall(conn, rule)
    got = next(r for r in dbguard.rules(conn) if r["rule"] == rule)
    assert (got["drift"], sorted(got["triggers"])) == ("none", [f"public.{t}" for t in triggers])
