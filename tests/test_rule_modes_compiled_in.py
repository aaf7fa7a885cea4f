"""A rule's mode is compiled into its trigger functions: no rule function reads
dbguard.rule_settings. Writing the table recompiles them in the writer's transaction. These
tests prove that a mode change still reaches every session at once, whichever way it is
written, and that the recompile is safe: concurrent changes, rollbacks, isolation levels, a
hostile search_path, a hostile rule name."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

import dbguard

from .plugins.calls import commit_behind, new_call


def direction_of_a_new_call(conn: psycopg.Connection) -> str | None:
    return conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone()[0]


def test_no_rule_function_queries_rule_settings(conn):
    bodies = conn.execute(
        "SELECT r.function_name, p.prosrc FROM dbguard.installed_rules r "
        "JOIN pg_proc p ON p.oid = r.function_name::regprocedure").fetchall()
    assert len(bodies) >= 10
    assert [name for name, body in bodies if "rule_settings" in body] == []


def test_set_mode_reaches_a_session_whose_plans_are_cached(conn, connect):
    other = connect(autocommit=True)
    assert direction_of_a_new_call(other) == "inbound"    # plans of the rule now cached in `other`
    dbguard.set_mode(conn, "call_direction_default", "off")
    conn.commit()
    assert direction_of_a_new_call(other) is None
    dbguard.set_mode(conn, "call_direction_default", "correct")
    conn.commit()
    assert direction_of_a_new_call(other) == "inbound"


def test_a_plain_update_of_rule_settings_takes_effect_too(conn, connect):
    other = connect(autocommit=True)
    assert direction_of_a_new_call(other) == "inbound"
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'call_direction_default'")
    conn.commit()
    assert direction_of_a_new_call(other) is None
    assert conn.execute("SELECT dbguard.compiled_mode('call_direction_default')").fetchone()[0] == "off"


def test_a_mode_change_applies_to_its_own_transaction_and_a_rollback_restores_it(conn, connect):
    other = connect(autocommit=True)
    assert direction_of_a_new_call(conn) == "inbound"
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'call_direction_default'")
    assert direction_of_a_new_call(conn) is None
    assert direction_of_a_new_call(other) == "inbound"    # not committed: others keep the old mode
    conn.rollback()
    assert direction_of_a_new_call(conn) == "inbound"
    assert direction_of_a_new_call(other) == "inbound"


def test_a_rule_without_a_settings_row_runs_in_correct(conn):
    conn.execute("DELETE FROM dbguard.rule_settings WHERE rule = 'call_direction_default'")
    assert conn.execute("SELECT dbguard.compiled_mode('call_direction_default')").fetchone()[0] == "correct"
    assert direction_of_a_new_call(conn) == "inbound"
    conn.execute("TRUNCATE dbguard.rule_settings")
    assert conn.execute("SELECT dbguard.compiled_mode('lead_rollup')").fetchone()[0] == "correct"


def test_concurrent_mode_changes_of_two_rules_both_take_effect(conn, connect):
    first, second, watcher = connect(), connect(), connect(autocommit=True)
    first.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'call_direction_default'")
    # the second recompile waits for the first
    commit_behind(first, second, watcher,
                  "UPDATE dbguard.rule_settings SET mode = 'alert' WHERE rule = 'outcome_flag_sync'")
    modes = dict(watcher.execute(
        "SELECT r, dbguard.compiled_mode(r) FROM unnest(ARRAY['call_direction_default', 'outcome_flag_sync']) r"))
    assert modes == {"call_direction_default": "off", "outcome_flag_sync": "alert"}
    assert direction_of_a_new_call(watcher) is None


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_mode_change_outside_read_committed_is_refused_with_a_hint(conn, isolation):
    conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
    with pytest.raises(errors.FeatureNotSupported) as refused:
        conn.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'call_direction_default'")
    diag = refused.value.diag
    assert "READ COMMITTED" in diag.message_primary and "READ COMMITTED" in diag.message_hint
    conn.rollback()
    assert conn.execute("SELECT dbguard.compiled_mode('call_direction_default')").fetchone()[0] == "correct"


def test_a_shadowing_operator_on_the_search_path_cannot_change_a_mode(conn):
    conn.execute("CREATE SCHEMA evil")
    conn.execute("CREATE FUNCTION evil.always(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$")
    conn.execute("CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always)")
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'appointment_history'")
    conn.execute("SET search_path = evil, pg_catalog, public")
    assert conn.execute("SELECT dbguard.compiled_mode('call_direction_default')").fetchone()[0] == "correct"
    assert direction_of_a_new_call(conn) == "inbound"
    assert new_call(conn) > 0


def test_a_rule_name_with_quotes_is_only_data(conn):
    hostile = "it's'); DROP TABLE public.calls; --$body$ $$ %s %L"
    conn.execute("INSERT INTO dbguard.rule_settings (rule, mode) VALUES (%s, 'off')", (hostile,))
    assert conn.execute("SELECT dbguard.compiled_mode(%s)", (hostile,)).fetchone()[0] == "off"
    assert conn.execute("SELECT to_regclass('public.calls')").fetchone()[0] is not None


@pytest.mark.parametrize("mode", ["alert", "enforce", "correct"])
def test_a_rule_with_triggers_of_its_own_runs_its_mode_as_a_constant(conn, mode):
    def body() -> str:
        return conn.execute("SELECT prosrc FROM pg_proc WHERE oid = 'dbguard.tg_appointments__lead_rollup'::regproc"
                            ).fetchone()[0]

    dbguard.set_mode(conn, "lead_rollup", mode)
    assert f"lead_rollup_step('{mode}')" in body() and "rule_settings" not in body()
    assert conn.execute("SELECT prosecdef, proconfig FROM pg_proc "
                        "WHERE oid = 'dbguard.tg_appointments__lead_rollup'::regproc").fetchone() == (
        True, ["search_path=pg_catalog, pg_temp"])
    assert conn.execute("SELECT rule, drift FROM dbguard.rule_status WHERE drift <> 'none'").fetchall() == []
