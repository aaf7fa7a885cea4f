"""The application role cannot make the rule compiler produce code it chose, nor recompile,
nor switch a compiled rule off: it can neither write what the compiler reads
(dbguard.rule_fragments, dbguard.rule_settings) nor run the compiler, and the compiled
functions are closed, pinned definers owned by the installing role."""

from __future__ import annotations

import psycopg
import pytest

COMPILED = ["dbguard.tg_calls__before_row()", "dbguard.tg_appointments__before_row()",
            "dbguard.tg_appointments__after_row()", "dbguard.tg_appointment_events__before_row()",
            "dbguard.tg_calcom_host_mappings__before_row()"]


@pytest.mark.parametrize("statement", [
    "UPDATE dbguard.rule_fragments SET body = 'BEGIN NULL; END' WHERE rule = 'outcome_flag_sync'",
    "INSERT INTO dbguard.rule_fragments SELECT 'evil', table_name, timing, mode, 1, true, NULL, false, NULL, NULL, "
    "false, NULL, 'BEGIN RETURN NULL; END' FROM dbguard.rule_fragments LIMIT 1",
    "DELETE FROM dbguard.rule_fragments",
    "UPDATE dbguard.rule_settings SET mode = 'off'",
    "SELECT dbguard.compile_rules()",
    "SELECT * FROM dbguard.compiled_rules()",
    "SELECT dbguard.tg_rule_settings__compile_rules()",
])
def test_the_application_role_cannot_feed_or_run_the_compiler(conn, attacker, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        attacker.execute(statement)
    attacker.rollback()


def test_the_compiled_functions_are_closed_pinned_definers_of_the_installing_role(conn):
    for function in COMPILED:
        definer, config, public, owner = conn.execute(
            "SELECT prosecdef, proconfig, has_function_privilege('public', oid, 'EXECUTE'), "
            "pg_get_userbyid(proowner) = current_user FROM pg_proc WHERE oid = %s::regprocedure",
            (function,)).fetchone()
        assert (definer, config, public, owner) == (True, ["search_path=pg_catalog, pg_temp"], False, True), function


def test_a_temporary_table_named_like_a_dbguard_table_does_not_reach_the_compiled_code(conn, attacker):
    # pg_temp is searched last and every name in the compiled code is schema-qualified: an
    # application's temporary vocabularies table changes nothing.
    attacker.execute("CREATE TEMP TABLE vocabularies (vocabulary text, code text)")
    attacker.execute("INSERT INTO vocabularies VALUES ('call_direction', 'sideways')")
    with pytest.raises(psycopg.errors.Error) as refused:
        attacker.execute("INSERT INTO public.calls (direction) VALUES ('sideways')")
    assert refused.value.sqlstate == "23Q02"
