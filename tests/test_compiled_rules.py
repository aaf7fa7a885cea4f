"""Compiled rules: the calls rules run as one trigger function per table and timing,
with each rule's mode compiled in. A rule in 'off' has no code, a group whose rules
are all off has no trigger, a mode change recompiles in its own transaction, and
what is installed is what `dbguard render --rules` prints."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

import dbguard
from dbguard import compiler
from dbguard.repeatable import Rule, shipped

from .plugins.calls import new_call

CALLS_RULES = ["call_direction_default", "customer_link_sync", "outcome_flag_sync"]


def _body(conn: psycopg.Connection) -> str | None:
    row = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure('dbguard.tg_calls__before_row()')"
                       ).fetchone()
    return row[0] if row else None


def _compiled_triggers(conn: psycopg.Connection) -> list[str]:
    return [name for (name,) in conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.calls'::regclass AND tgname LIKE 'dbguard\\_100\\_%' "
        "ORDER BY 1")]


def test_the_calls_rules_share_one_function_with_a_labeled_block_each_in_firing_order(conn):
    body = _body(conn)
    blocks = [body.index(f"<<{rule}>>") for rule in CALLS_RULES]
    assert blocks == sorted(blocks)
    assert body.count("TG_RELID") == 1
    assert "rule_mode(" not in body and "RETURN NEW;" in body
    assert _compiled_triggers(conn) == ["dbguard_100_before_row"]


def test_each_compiled_sources_header_has_the_keys_the_docs_generator_reads():
    from dbguard.rule_docs import parse, rule_sources

    compiled = [r.rule for r in shipped()[2] if r.compiled]
    assert set(CALLS_RULES) <= set(compiled)
    for rule in compiled:
        header = parse(rule, rule_sources()[rule]).header
        assert header["rule"] == rule and int(header["version"]) > 0 and header["tables"] and header["timing"]
        assert header["guarantees"] and all(mode in header["modes"] for mode in ("off", "alert", "correct", "enforce"))


def test_render_rules_prints_what_is_installed(conn, dsn):
    conn.commit()
    text = compiler.render_rules(conn)
    assert text.count("CREATE OR REPLACE FUNCTION dbguard.tg_calls__before_row()") == 1
    start = text.index("AS $compiled$", text.index("CREATE OR REPLACE FUNCTION dbguard.tg_calls__before_row()"))
    start += len("AS $compiled$")
    assert text[start:text.index("$compiled$", start)] == _body(conn)
    for trigger in _compiled_triggers(conn):
        assert f"CREATE OR REPLACE TRIGGER {trigger}" in text
    # a rule with triggers of its own: its function as installed for its mode
    dbguard.set_mode(conn, "lead_rollup", "alert")
    conn.commit()
    text = compiler.render_rules(conn)
    installed = conn.execute("SELECT prosrc FROM pg_proc WHERE oid = 'dbguard.tg_appointments__lead_rollup'::regproc"
                             ).fetchone()[0]
    assert "-- lead_rollup (alert), a rule with triggers of its own" in text and installed in text
    assert "lead_rollup_step('alert')" in installed
    out = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "render", "--rules"],
                         capture_output=True, text=True, check=True).stdout
    assert out == text


def test_a_rule_in_off_is_compiled_out_and_comes_back(conn):
    dbguard.set_mode(conn, "outcome_flag_sync", "off")
    assert "<<outcome_flag_sync>>" not in _body(conn)
    assert "<<customer_link_sync>>" in _body(conn)
    # still synchronised once it is back
    dbguard.set_mode(conn, "outcome_flag_sync", "correct")
    assert "<<outcome_flag_sync>>" in _body(conn)
    assert conn.execute("INSERT INTO public.calls (appointment_made) VALUES (false) RETURNING session_outcome"
                        ).fetchone() == (None,)


def test_the_mode_is_compiled_in(conn):
    dbguard.set_mode(conn, "call_direction_default", "alert")
    body = _body(conn)
    block = body[body.index("<<call_direction_default>>"):body.index("END call_direction_default;")]
    assert "NEW.direction := 'inbound'" not in block and "'alert'" in block
    dbguard.set_mode(conn, "call_direction_default", "correct")
    body = _body(conn)
    block = body[body.index("<<call_direction_default>>"):body.index("END call_direction_default;")]
    assert "NEW.direction := 'inbound'" in block and "raise_alert" not in block


def test_every_rule_of_a_group_off_leaves_no_trigger_and_no_function(conn):
    for rule in CALLS_RULES:
        dbguard.set_mode(conn, rule, "off")
    assert _compiled_triggers(conn) == [] and _body(conn) is None
    rules = {r["rule"]: r for r in dbguard.rules(conn)}
    assert {rule: rules[rule]["drift"] for rule in CALLS_RULES} == dict.fromkeys(CALLS_RULES, "none")
    assert conn.execute("INSERT INTO public.calls (customer_link_status) VALUES ('linked') "
                        "RETURNING direction, customer_link_status").fetchone() == (None, "linked")
    dbguard.set_mode(conn, "customer_link_sync", "correct")
    assert _compiled_triggers(conn) == ["dbguard_100_before_row"]


def test_a_plain_update_of_rule_settings_recompiles_and_a_rollback_restores(conn):
    before = _body(conn)
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'customer_link_sync'")
    assert "<<customer_link_sync>>" not in _body(conn)
    conn.rollback()
    assert _body(conn) == before


def test_an_open_mode_change_does_not_block_writers_of_the_table(conn, connect):
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'off' WHERE rule = 'call_direction_default'")
    other = connect(autocommit=True)
    other.execute("SET lock_timeout = '2s'")
    assert other.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == ("inbound",)
    conn.commit()
    assert other.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == (None,)


def test_a_hand_edit_of_the_compiled_function_is_drift_until_reinstalled(conn):
    conn.execute("""CREATE OR REPLACE FUNCTION dbguard.tg_calls__before_row() RETURNS trigger
                    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
                    AS $$ BEGIN RETURN NEW; END $$""")
    conn.commit()
    rules = {r["rule"]: r for r in dbguard.rules(conn)}
    assert {rule: rules[rule]["drift"] for rule in CALLS_RULES} == dict.fromkeys(CALLS_RULES, "modified")
    assert compiler.render_rules(conn).count("<<call_direction_default>>") == 1
    dbguard.reinstall(conn, "call_direction_default")
    rules = {r["rule"]: r for r in dbguard.rules(conn)}
    assert {rule: rules[rule]["drift"] for rule in CALLS_RULES} == dict.fromkeys(CALLS_RULES, "none")
    assert new_call(conn) > 0
    assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == ("inbound",)


@pytest.mark.parametrize("template, problem", [
    ("BEGIN\n    RETURN OLD;\nEND\n", "may only RETURN NEW"),
    ("BEGIN\n    NULL;\nEND;\nSELECT 1\n", "ends with the END"),
])
def test_a_fragment_the_compiler_cannot_chain_is_refused(template, problem):
    fragment = compiler.Fragment(rule="r", table="public.calls", timing="before_row", order=1, template=template,
                                 on_insert=True)
    with pytest.raises(ValueError, match=problem):
        fragment.render("correct")


def test_an_undefined_template_variable_is_an_error():
    fragment = compiler.Fragment(rule="r", table="public.calls", timing="before_row", order=1,
                                 template="BEGIN\n    {{ nope }};\nEND\n", on_insert=True)
    with pytest.raises(Exception, match="nope"):
        fragment.render("correct")


OWN_TRIGGERS = {"lead_rollup": "public.appointments.dbguard_700_lead_rollup",
                "booking_confirmed_requires_appointment": "public.calls.dbguard_900_booking_confirmed_requires_appointment"}


@pytest.mark.parametrize("rule", sorted(OWN_TRIGGERS))
def test_a_rule_with_triggers_of_its_own_has_none_while_off_and_gets_them_back(conn, rule):
    def triggers() -> list[str]:
        return conn.execute("SELECT triggers FROM dbguard.rule_status WHERE rule = %s", (rule,)).fetchone()[0] or []

    before = triggers()
    assert OWN_TRIGGERS[rule] in before
    dbguard.set_mode(conn, rule, "off")
    assert triggers() == []
    assert {r["rule"]: r["drift"] for r in dbguard.rules(conn)}[rule] == "none"
    definitions = conn.execute("SELECT trigger_definitions FROM dbguard.installed_rules WHERE rule = %s",
                               (rule,)).fetchone()[0]
    dbguard.set_mode(conn, rule, "enforce")
    assert triggers() == before
    assert {r["rule"]: r["drift"] for r in dbguard.rules(conn)}[rule] == "none"
    # every trigger of the rule's source put back as installed (constraint triggers deferred as before)
    assert definitions and conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND pg_get_triggerdef(oid) = ANY(%s)",
        (definitions,)).fetchone()[0] == len(definitions)


def test_every_rule_off_leaves_no_dbguard_trigger_on_the_domain_tables(conn):
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'off'")
    assert conn.execute("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                        "WHERE NOT t.tgisinternal AND t.tgname LIKE 'dbguard%' "
                        "AND c.relnamespace = 'public'::regnamespace").fetchone()[0] == 0
    assert {r["drift"] for r in dbguard.rules(conn)} == {"none"}
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'correct'")
    assert {r["drift"] for r in dbguard.rules(conn)} == {"none"}
