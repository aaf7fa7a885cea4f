"""Hostile sessions and plpgsql_check over every dbguard function (the privilege audit of the
catalog is tests/security/test_catalog_audit.py)."""

from __future__ import annotations

import re

import psycopg
import pytest

DBGUARD_FUNCTIONS = """
    SELECT p.oid, p.oid::regprocedure::text AS name, p.prosecdef, p.proconfig,
           p.prorettype = 'trigger'::regtype AS is_trigger, l.lanname
      FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_language l ON l.oid = p.prolang
     WHERE n.nspname IN ('dbguard', 'dbguard_audit')
"""


def _functions(conn):
    return conn.execute(DBGUARD_FUNCTIONS).fetchall()


def test_a_shadowing_schema_on_the_search_path_cannot_change_a_rule(conn):
    conn.execute("CREATE SCHEMA evil")
    conn.execute("""CREATE FUNCTION evil.rule_mode(p_rule text) RETURNS text LANGUAGE sql AS $$ SELECT 'off' $$""")
    conn.execute("CREATE TABLE evil.rule_settings (rule text, mode text)")
    conn.execute("INSERT INTO evil.rule_settings VALUES ('call_direction_default', 'off')")
    conn.execute("CREATE TEMP TABLE rule_settings (rule text, mode text)")
    conn.execute("INSERT INTO rule_settings VALUES ('call_direction_default', 'off')")
    conn.execute("SET search_path = pg_temp, evil, public, dbguard")

    assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == ("inbound",)


def test_triggers_do_not_fire_on_a_logical_replication_subscriber(conn):
    # A subscriber applies rows with session_replication_role = replica: the
    # publisher's triggers already did the work, so they must not apply twice.
    conn.execute("SET session_replication_role = replica")
    assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == (None,)
    conn.execute("SET session_replication_role = origin")
    assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == ("inbound",)


@pytest.mark.commits
def test_plpgsql_check_reports_no_errors(conn):
    """Zero plpgsql_check errors in every dbguard PL/pgSQL function.

    A trigger function attached to several tables (one rule, one function) is checked
    against each of them; it branches on TG_TABLE_NAME, so "record new/old has no
    field" on one table is a static false positive -- unless it is reported for
    every table the function serves, which would be a real bug.
    """
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    except psycopg.Error as exc:
        pytest.skip(f"plpgsql_check is not installed on this server ({exc.diag.message_primary})")
    problems = []
    checked = 0
    for oid, name, _, _, is_trigger, lang in _functions(conn):
        if lang != "plpgsql":
            continue
        # Per table, with the transition tables its triggers declare (lead_rollup's statement triggers).
        targets = conn.execute(
            "SELECT tgrelid, max(tgoldtable), max(tgnewtable) FROM pg_trigger WHERE tgfoid = %s GROUP BY tgrelid",
            (oid,)).fetchall() if is_trigger else [(0, None, None)]
        relids = [relid for relid, _, _ in targets]
        per_table = {}
        for relid, oldtable, newtable in targets:
            checked += 1
            per_table[relid] = conn.execute(
                "SELECT message, lineno FROM plpgsql_check_function_tb(%s, %s, oldtable => %s, newtable => %s) "
                "WHERE level = 'error'", (oid, relid, oldtable, newtable)).fetchall()
        for relid, errors in per_table.items():
            for message, lineno in errors:
                table_specific = (len(relids) > 1 and "has no field" in message
                                  and any((message, lineno) not in other for r, other in per_table.items() if r != relid))
                if not table_specific:
                    problems.append(f"{name} (table oid {relid}) line {lineno}: {message}")
    assert checked > 20
    assert problems == [], "\n".join(problems)
