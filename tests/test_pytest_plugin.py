"""The pytest plugin shipped with the package, used the way an application's test
suite uses it: a separate pytest run (pytester) with only the installed package."""

from __future__ import annotations

import pytest

from dbguard.pytest_plugin import resolve_violation

pytest_plugins = ["pytester"]
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/x?connect_timeout=2"

APP_TESTS = '''
import psycopg
import pytest
from dbguard.pytest_plugin import assert_alert_recorded, assert_rule_violation

PHANTOM = ("INSERT INTO public.calls (session_outcome, appointment_made) "
           "VALUES ('appointment_booked', false) RETURNING id")


@pytest.mark.dbguard_modes(outcome_flag_sync="enforce")
def test_enforce_refuses_a_phantom_booking(dbguard_conn):
    with assert_rule_violation("FlagMismatch", dbguard_conn) as refusal:
        dbguard_conn.execute(PHANTOM)
    assert refusal.error.diag.message_hint
    # rolled back: the connection goes on
    assert dbguard_conn.execute("SELECT count(*) FROM public.calls").fetchone() == (0,)


def test_correct_is_the_default_and_records_an_alert(dbguard_conn):
    call_id = dbguard_conn.execute(PHANTOM).fetchone()[0]
    [alert] = assert_alert_recorded(dbguard_conn, "session_outcome_mismatch", entity_id=call_id,
                                    auto_corrected=True)
    assert alert["detected_by"] == "trigger"
    dbguard_conn.commit()


def test_each_test_gets_its_own_database(dbguard_conn):
    assert dbguard_conn.execute("SELECT count(*) FROM public.calls").fetchone() == (0,)


@pytest.mark.dbguard_modes("enforce")
def test_a_default_mode_applies_to_every_rule_and_deferred_rules_fail_at_commit(dbguard_dsn):
    with psycopg.connect(dbguard_dsn) as conn:
        modes = dict(conn.execute("SELECT rule, mode FROM dbguard.rule_settings"))
        assert set(modes.values()) == {"enforce"} and "booking_confirmed_requires_appointment" in modes
        conn.execute("INSERT INTO public.calls (booking_confirmed) VALUES (true)")
        with assert_rule_violation("booking_without_appointment", conn):
            conn.commit()


@pytest.mark.dbguard_modes(outcome_flag_sync="alert")
def test_alert_mode_keeps_the_row_as_written(dbguard_conn):
    call_id = dbguard_conn.execute(PHANTOM).fetchone()[0]
    assert_alert_recorded(dbguard_conn, "session_outcome_mismatch", entity_id=call_id, auto_corrected=False)
    assert dbguard_conn.execute("SELECT appointment_made FROM public.calls WHERE id = %s",
                                (call_id,)).fetchone() == (False,)
'''


def run_app_tests(pytester: pytest.Pytester, server_dsn: str, source: str, *args: str):
    pytester.makepyfile(test_app=source)
    return pytester.runpytest_subprocess("--dbguard-dsn", server_dsn, "-p", "no:cacheprovider", *args)


@pytest.mark.slow
def test_an_application_suite_gets_a_migrated_database_per_test_in_the_marked_modes(pytester, server_dsn):
    result = run_app_tests(pytester, server_dsn, APP_TESTS)
    result.assert_outcomes(passed=5)


@pytest.mark.slow
def test_the_helpers_fail_with_what_was_expected_and_what_happened(pytester, server_dsn):
    source = '''
import pytest
from dbguard.pytest_plugin import assert_alert_recorded, assert_rule_violation

def test_expects_a_refusal_that_does_not_come(dbguard_conn):
    with assert_rule_violation("FlagMismatch", dbguard_conn):
        dbguard_conn.execute("INSERT INTO public.calls (direction) VALUES ('inbound')")

@pytest.mark.dbguard_modes(outcome_flag_sync="enforce")
def test_expects_another_refusal(dbguard_conn):
    with assert_rule_violation("TenantViolation", dbguard_conn):
        dbguard_conn.execute("INSERT INTO public.calls (session_outcome) VALUES ('appointment_booked')")

def test_expects_an_alert_that_was_not_recorded(dbguard_conn):
    dbguard_conn.execute("INSERT INTO public.calls (session_outcome) VALUES ('appointment_booked')")
    assert_alert_recorded(dbguard_conn, "appointment_made_mismatch")
'''
    result = run_app_tests(pytester, server_dsn, source)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*expected the write to be refused with FlagMismatch (SQLSTATE *); it succeeded*",
        "*expected the write to be refused with TenantViolation (SQLSTATE *); got SQLSTATE *",
        "*no alert matching {'alert_type': 'appointment_made_mismatch'}; alerts recorded:*",
        "*session_outcome_mismatch critical call * auto_corrected=True by trigger*",
    ], consecutive=False)


@pytest.mark.slow
def test_a_marker_naming_an_unknown_rule_or_mode_is_a_usage_error(pytester):
    source = '''
import pytest

@pytest.mark.dbguard_modes(outcome_flag_snyc="enforce", lead_rollup="strict")
def test_typo(dbguard_conn):
    pass
'''
    # An unreachable server: the usage error comes before any connection is tried.
    result = run_app_tests(pytester, UNREACHABLE, source)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown rule(s) outcome_flag_snyc*unknown mode(s) strict*"])
    assert "connection" not in result.stdout.str()


@pytest.mark.slow
def test_the_plugin_is_inert_for_tests_that_do_not_use_it(pytester):
    # An unreachable server: any fixture use would fail, so passing proves nothing was started.
    result = run_app_tests(pytester, UNREACHABLE, "def test_plain():\n    assert True\n")
    result.assert_outcomes(passed=1)
    assert pytester.runpytest_subprocess("--help").stdout.str().count("--dbguard-dsn") == 1


def test_violations_are_named_by_class_name_snake_case_or_sqlstate():
    from dbguard import errors

    by_class = resolve_violation(errors.BookingWithoutAppointment)[1]
    assert resolve_violation("BookingWithoutAppointment")[1] == by_class
    assert resolve_violation("booking_without_appointment")[1] == by_class
    assert resolve_violation(next(iter(by_class)))[1] == by_class
    assert resolve_violation("RuleViolation")[1] >= by_class | resolve_violation("FlagMismatch")[1]
    with pytest.raises(ValueError, match="unknown dbguard error 'BookingWithoutAppointmnet'"):
        resolve_violation("BookingWithoutAppointmnet")
