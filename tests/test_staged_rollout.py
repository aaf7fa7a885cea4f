"""Staged roll-out: install in shadow (alert) mode, read what each rule would have done,
promote rule by rule; migrate says which tables it created and which it extended."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest

import dbguard
from dbguard import migrator
from dbguard.rules import shipped_rules

quiet = {"notify": lambda _msg: None}


def _modes(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as c:
        return dict(c.execute("SELECT rule, mode FROM dbguard.rule_status").fetchall())


def test_migrate_in_alert_mode_installs_every_rule_in_alert_and_leaves_writes_as_written(blank_dsn):
    result = dbguard.migrate(blank_dsn, mode="alert", **quiet)

    assert set(_modes(blank_dsn).values()) == {"alert"}
    assert result.new_rule_modes == {rule: "alert" for rule in shipped_rules()}
    with psycopg.connect(blank_dsn) as c:
        call = c.execute("INSERT INTO public.calls (session_outcome, appointment_made) "
                         "VALUES ('appointment_booked', false) RETURNING id").fetchone()[0]
        c.commit()
        assert c.execute("SELECT session_outcome, appointment_made FROM public.calls WHERE id = %s",
                         (call,)).fetchone() == ("appointment_booked", False)
        assert c.execute("""SELECT count(*) FROM dbguard.data_consistency_alerts
                             WHERE rule = 'outcome_flag_sync' AND entity_id = %s AND NOT auto_corrected""",
                         (str(call),)).fetchone()[0] == 1


def test_migrate_with_a_mode_keeps_the_modes_of_rules_already_installed(blank_dsn):
    dbguard.migrate(blank_dsn, **quiet)
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        dbguard.set_mode(c, "lead_rollup", "enforce")
        # A rule upgrade is pending: what an older release recorded differs from what ships.
        c.execute("UPDATE dbguard.installed_rules SET source_sha256 = 'older' WHERE rule = 'lead_rollup'")
    upgraded = dbguard.rollback(blank_dsn, count=1, **quiet).rolled_back

    result = dbguard.migrate(blank_dsn, mode="alert", **quiet)

    assert result.applied == upgraded and result.new_rule_modes == {}
    assert "rule lead_rollup" in result.reinstalled
    modes = _modes(blank_dsn)
    assert modes.pop("lead_rollup") == "enforce" and set(modes.values()) == {"correct"}


def test_migrate_names_the_tables_it_creates_and_the_existing_tables_it_extends(blank_dsn):
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        c.execute("CREATE TABLE public.calls (id bigserial PRIMARY KEY, retell_call_id text)")
        c.execute("CREATE TABLE public.notes (id bigserial PRIMARY KEY, body text)")
    messages: list[str] = []

    result = dbguard.migrate(blank_dsn, notify=messages.append)

    assert "public.calls" not in result.created_tables and "public.notes" not in result.created_tables
    assert {"public.companies", "public.appointments", "dbguard.rule_settings"} <= set(result.created_tables)
    assert "session_outcome" in result.extended_tables["public.calls"]
    assert "retell_call_id" not in result.extended_tables["public.calls"]
    assert "public.notes" not in result.extended_tables
    assert "created table public.appointments" in messages
    assert any(m.startswith("extended existing table public.calls: added column(s) ") for m in messages)
    assert dbguard.migrate(blank_dsn, **quiet).created_tables == []


@pytest.mark.slow
def test_migrate_command_takes_a_mode_and_reports_tables_in_json(blank_dsn):
    done = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", blank_dsn, "migrate", "--mode", "alert", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["applied"] == [m.id for m in migrator.load_migrations()]
    assert set(out["new_rule_modes"].values()) == {"alert"} and "public.calls" in out["created_tables"]
    assert "rule outcome_flag_sync installed in mode alert" in done.stderr


def _phantom(conn) -> int:
    call = conn.execute("INSERT INTO public.calls (session_outcome, appointment_made, direction) "
                        "VALUES ('appointment_booked', false, 'inbound') RETURNING id").fetchone()[0]
    conn.commit()
    return call


def test_readiness_says_what_each_rule_in_alert_mode_would_have_done_and_whether_to_promote_it(conn):
    from dbguard.readiness import readiness

    _phantom(conn)  # repaired in correct mode: not something alert mode saw
    for rule in ("outcome_flag_sync", "call_direction_default", "customer_link_sync"):
        dbguard.set_mode(conn, rule, "alert")
    conn.execute("UPDATE dbguard.rule_settings SET updated_at = now() - interval '2 days' "
                 "WHERE rule IN ('outcome_flag_sync', 'call_direction_default')")
    conn.commit()
    shadowed = [_phantom(conn), _phantom(conn)]

    result = {r.rule: r for r in readiness(conn, days=7)}

    flags = result["outcome_flag_sync"]
    assert (flags.mode, flags.would_correct, flags.would_refuse, flags.rows) == ("alert", 2, 2, 2)
    assert len(flags.alert_types) == 1 and sum(flags.alert_types.values()) == 2  # the phantom booking's type
    assert flags.sample_entities == sorted(f"call {c}" for c in shadowed)
    assert (flags.promote_to_correct, flags.promote_to_enforce) == ("review", "unsafe")
    assert 47 <= flags.observed_hours <= 49
    quiet_rule = result["call_direction_default"]
    assert (quiet_rule.would_refuse, quiet_rule.promote_to_correct, quiet_rule.promote_to_enforce) == (0, "safe", "safe")
    assert (result["customer_link_sync"].promote_to_enforce, result["customer_link_sync"].would_refuse) == ("wait", 0)
    assert (result["lead_rollup"].mode, result["lead_rollup"].promote_to_enforce) == ("correct", "n/a")
    assert readiness(conn, days=1, rules=["outcome_flag_sync"])[0].observed_hours <= 24.1


def test_readiness_command_prints_a_table_and_json(conn, dsn):
    dbguard.set_mode(conn, "outcome_flag_sync", "alert")
    conn.commit()
    _phantom(conn)
    done = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "rules", "readiness", "--days", "3", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rules = {r["rule"]: r for r in json.loads(done.stdout)["rules"]}
    assert rules["outcome_flag_sync"]["would_refuse"] == 1 and rules["outcome_flag_sync"]["promote_to_enforce"] == "wait"
    text = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "rules", "readiness"],
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "promote_to_enforce" in text.stdout
    assert "outcome_flag_sync: in alert mode for" in text.stdout
