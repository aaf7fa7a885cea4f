"""The privilege model, audited over the catalog: every dbguard function pins
search_path = pg_catalog, pg_temp (or is one of the four the planner inlines,
whose bodies name nothing a search_path could shadow), none is executable by
PUBLIC, and every trigger function that runs as its owner refuses a table it
was not written for."""

from __future__ import annotations

import re

import pytest
from psycopg import errors

FUNCTIONS = """
    SELECT p.oid, p.oid::regprocedure::text AS name, p.prosecdef, p.proconfig,
           p.prorettype = 'trigger'::regtype AS is_trigger
      FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('dbguard', 'dbguard_audit')
     ORDER BY 2
"""

PINNED = ["search_path=pg_catalog, pg_temp"]


def _functions(conn):
    return conn.execute(FUNCTIONS).fetchall()


def test_every_dbguard_function_pins_pg_catalog_first_and_the_temporary_schema_last(conn):
    functions = _functions(conn)
    assert len(functions) > 40
    wrong = {name: config for _, name, _, config, _ in functions if config != PINNED}
    assert wrong == {}


def test_recompiled_functions_stay_pinned_and_closed(conn):
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'alert' WHERE rule IN ('lead_rollup', 'creation_metadata')")
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'enforce' WHERE rule = 'appointment_history'")
    test_every_dbguard_function_pins_pg_catalog_first_and_the_temporary_schema_last(conn)
    test_no_dbguard_function_is_executable_by_public(conn)


def test_no_dbguard_function_is_executable_by_public(conn):
    open_to_public = [name for oid, name, *_ in _functions(conn)
                      if conn.execute("SELECT has_function_privilege('public', %s, 'EXECUTE')", (oid,)).fetchone()[0]]
    assert open_to_public == []


def test_a_new_rule_version_is_made_a_closed_pinned_definer_whatever_its_file_says(conn):
    # register_rule hardens what a rule file installs, so a rule file cannot reopen the model.
    conn.execute("""CREATE OR REPLACE FUNCTION dbguard.tg_calls__direction_default() RETURNS trigger
                    LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$""")
    conn.execute("GRANT EXECUTE ON FUNCTION dbguard.tg_calls__direction_default() TO PUBLIC")
    conn.execute("SELECT dbguard.register_rule('call_direction_default', 99, "
                 "'dbguard.tg_calls__direction_default()', 'x', 'test')")
    assert conn.execute(
        "SELECT prosecdef, proconfig, has_function_privilege('public', oid, 'EXECUTE') FROM pg_proc "
        "WHERE oid = 'dbguard.tg_calls__direction_default()'::regprocedure").fetchone() == (True, PINNED, False)


# Rule functions written before types were schema-qualified in definers; their search_path is pinned
# to pg_catalog first, which is what keeps a temporary type from shadowing theirs.
UNQUALIFIED_TYPES = {"tg_appointments__lead_rollup", "tg_appointments__link_sync",
                     "tg_calls__booking_requires_appointment", "rollback_booking_flags"}


def _definer_triggers(conn) -> set[tuple[str, str]]:
    return set(conn.execute(
        """SELECT p.proname, min(t.tgrelid::regclass::text)
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             JOIN pg_trigger t ON t.tgfoid = p.oid
            WHERE n.nspname = 'dbguard' AND p.prosecdef AND p.prorettype = 'trigger'::regtype
            GROUP BY p.proname""").fetchall())


_DEFINER_TRIGGERS = [
    pytest.param(name, table, id=name)
    for name, table in [
        ("tg_appointment_events__before_row", "public.appointment_events"),
        ("tg_appointments__after_row", "public.appointments"),
        ("tg_appointments__before_row", "public.appointments"),
        ("tg_appointments__history", "public.appointments"),
        ("tg_appointments__lead_rollup", "public.appointments"),
        ("tg_appointments__lead_rollup_at_commit", "public.appointments"),
        ("tg_appointments__link_sync", "public.appointments"),
        ("tg_calcom_host_mappings__audit", "public.calcom_host_mappings"),
        ("tg_calls__booking_requires_appointment", "public.calls"),
        ("tg_calcom_host_mappings__before_row", "public.calcom_host_mappings"),
        ("tg_calls__before_row", "public.calls"),
    ]]


def test_the_list_of_definer_trigger_functions_is_complete(conn):
    assert {name for name, _ in _definer_triggers(conn)} == {p.values[0] for p in _DEFINER_TRIGGERS}


@pytest.mark.parametrize("definer_trigger,table", _DEFINER_TRIGGERS)
def test_a_definer_trigger_function_refuses_a_table_it_was_not_written_for(conn, definer_trigger, table):
    # A copy of the table the function serves, so that it would otherwise run its whole body.
    conn.execute(f"CREATE TEMP TABLE impostor (LIKE {table} INCLUDING DEFAULTS)")
    conn.execute(f"CREATE TRIGGER impostor BEFORE INSERT ON impostor FOR EACH ROW "
                 f"EXECUTE FUNCTION dbguard.{definer_trigger}()")
    with pytest.raises(errors.InsufficientPrivilege, match="only, not of pg_temp"):
        conn.execute("INSERT INTO impostor DEFAULT VALUES")


# Shadowable type names (not SQL keywords, which the grammar resolves to pg_catalog itself).
_BARE_TYPE = re.compile(r"::(text|jsonb|json|timestamptz|uuid|date|bool|int4|int8|name|regclass|regprocedure)\b"
                        r"|^\s+[a-z_]\w*\s+(?:constant\s+)?(text|jsonb|json|timestamptz|uuid|date)\b\s*(?:;|:=|\[)",
                        re.MULTILINE)


def test_every_definer_of_ours_names_its_types_with_their_schema(conn):
    unqualified = {}
    for oid, name, secdef, _, _ in _functions(conn):
        proname = name.split("(")[0].removeprefix("dbguard.")
        if not secdef or proname in UNQUALIFIED_TYPES:
            continue
        body = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = %s", (oid,)).fetchone()[0]
        code = re.sub(r"--[^\n]*|'(?:[^']|'')*'", "''", body)
        found = [m.group(0).strip() for m in _BARE_TYPE.finditer(code)]
        if found:
            unqualified[name] = found[:3]
    assert unqualified == {}
