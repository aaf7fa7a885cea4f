"""Versioned rules: what is installed, its mode, and drift from hand edits."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import dbguard
from dbguard.repeatable import Rule
from dbguard.rules import shipped_rules


def _rule(report: dict, name: str) -> dict:
    return next(r for r in report["rules"] if r["rule"] == name)


def test_installed_rule_is_recorded_with_version_checksum_and_default_mode(conn):
    row = conn.execute("SELECT version, function_name, source_sha256, description FROM dbguard.installed_rules "
                       "WHERE rule = 'call_direction_default'").fetchone()
    latest = shipped_rules()["call_direction_default"]
    assert row[0] == latest
    # a compiled rule: the function of its table and timing
    assert row[1] == "dbguard.tg_calls__before_row()"
    assert row[2] == dbguard.resources.sha256(Rule.load("call_direction_default").source)
    assert "inbound" in row[3]
    assert dbguard.rules(conn)[0]["mode"] == "correct"


def test_clean_install_reports_no_drift(conn):
    report = dbguard.status(conn)
    assert report["ok"], report["problems"]
    assert _rule(report, "call_direction_default")["drift"] == "none"
    assert _rule(report, "call_direction_default")["source"] == "ok"


CALLS_BEFORE_ROW = ["call_direction_default", "customer_link_sync", "outcome_flag_sync"]


def test_hand_edited_rule_function_is_reported_as_drift(conn, dsn):
    conn.execute("""CREATE OR REPLACE FUNCTION dbguard.tg_calls__before_row() RETURNS trigger
                    LANGUAGE plpgsql SET search_path = '' AS $$ BEGIN NEW.direction := 'outbound'; RETURN NEW; END $$""")
    conn.commit()

    # every rule compiled into the function
    report = dbguard.status(conn)
    assert _rule(report, "call_direction_default")["drift"] == "modified"
    assert report["drift"] == CALLS_BEFORE_ROW

    out = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "status", "--json"],
                         capture_output=True, text=True, check=True).stdout
    machine = json.loads(out)
    assert machine["drift"] == CALLS_BEFORE_ROW
    assert machine["ok"] is False
    check = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "status", "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 1 and "drift (modified)" in check.stdout


def test_reinstall_undoes_drift(conn):
    conn.execute("""CREATE OR REPLACE FUNCTION dbguard.tg_calls__before_row() RETURNS trigger
                    LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$""")
    conn.commit()

    dbguard.reinstall(conn, "call_direction_default")

    assert _rule(dbguard.status(conn), "call_direction_default")["drift"] == "none"
    assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone()[0] == "inbound"


@pytest.mark.parametrize("sabotage, drift", [
    ("ALTER TABLE public.calls DISABLE TRIGGER dbguard_100_before_row", "trigger_disabled"),
    ("DROP TRIGGER dbguard_100_before_row ON public.calls", "trigger_missing"),
    ("DROP FUNCTION dbguard.tg_calls__before_row() CASCADE", "missing"),
])
def test_disabled_or_dropped_rule_is_reported(conn, sabotage, drift):
    conn.execute(sabotage)
    conn.commit()
    assert _rule(dbguard.status(conn), "call_direction_default")["drift"] == drift


def test_set_mode_is_stored_and_validated(conn):
    dbguard.set_mode(conn, "call_direction_default", "off")
    assert conn.execute("SELECT dbguard.compiled_mode('call_direction_default')").fetchone()[0] == "off"
    with pytest.raises(dbguard.DbguardError, match="unknown rule 'nope'"):
        dbguard.set_mode(conn, "nope", "off")
    with pytest.raises(dbguard.DbguardError, match="unknown mode"):
        dbguard.set_mode(conn, "call_direction_default", "loud")



def test_several_modes_switched_together_compile_the_rules_once_or_not_at_all(conn):
    conn.execute("SET LOCAL track_functions = 'all'")
    dbguard.set_modes(conn, {"call_direction_default": "off", "appointment_history": "alert",
                             "pii_redaction": "enforce"})
    compiles = conn.execute("SELECT calls FROM pg_stat_xact_user_functions "
                            "WHERE schemaname = 'dbguard' AND funcname = 'compile_rules'").fetchone()
    assert compiles == (1,)
    modes = dict(conn.execute("SELECT rule, dbguard.compiled_mode(rule) FROM unnest(%s::text[]) AS rule",
                              (["call_direction_default", "appointment_history", "pii_redaction"],)).fetchall())
    assert modes == {"call_direction_default": "off", "appointment_history": "alert", "pii_redaction": "enforce"}
    with pytest.raises(dbguard.DbguardError, match="unknown rule 'nope'"):
        dbguard.set_modes(conn, {"call_direction_default": "enforce", "nope": "off"})
    with pytest.raises(dbguard.DbguardError, match="unknown mode 'loud' for rule 'pii_redaction'"):
        dbguard.set_modes(conn, {"call_direction_default": "enforce", "pii_redaction": "loud"})
    assert conn.execute("SELECT dbguard.compiled_mode('call_direction_default')").fetchone()[0] == "off"

def test_rule_header_must_match_the_file_it_is_loaded_as():
    with pytest.raises(FileNotFoundError):
        Rule.load("no_such_rule")
    shipped = Rule.load("call_direction_default")
    with pytest.raises(ValueError, match="header names rule customer_link_sync"):
        Rule.load("call_direction_default", shipped.source.replace("-- rule: call_direction_default",
                                                                   "-- rule: customer_link_sync"))
    with pytest.raises(ValueError, match="header lacks version"):
        Rule.load("call_direction_default", re.sub(r"(?m)^-- version:.*$", "", shipped.source))
    with pytest.raises(ValueError, match="header lacks modes"):
        Rule.load("call_direction_default", re.sub(r"(?m)^-- modes:.*$", "", shipped.source))
    assert f"VALUES ('call_direction_default', {shipped.version}, 'dbguard.tg_calls__before_row()'" \
        in shipped.install_sql()
    classic = Rule.load("lead_rollup")
    assert f"register_rule('lead_rollup', {classic.version}" in classic.install_sql()


def test_losing_one_of_several_triggers_of_a_rule_is_drift(conn):
    row = conn.execute("SELECT rule, triggers FROM dbguard.installed_rules WHERE cardinality(triggers) > 1 "
                       "ORDER BY rule LIMIT 1").fetchone()
    assert row is not None, "expected a rule with more than one trigger"
    rule, triggers = row
    table, trigger = triggers[0].rsplit(".", 1)
    conn.execute(f'DROP TRIGGER "{trigger}" ON {table}')
    conn.commit()

    status = _rule(dbguard.status(conn), rule)
    assert status["drift"] == "trigger_missing"
    assert conn.execute("SELECT missing_triggers FROM dbguard.rule_status WHERE rule = %s", (rule,)).fetchone()[0] \
        == [triggers[0]]

    dbguard.reinstall(conn, rule)
    assert _rule(dbguard.status(conn), rule)["drift"] == "none"
