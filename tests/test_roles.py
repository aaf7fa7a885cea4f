"""Roles: the application role writes domain tables (triggers firing) but cannot
touch alerts, history, audits, rule modes or triggers; the analyst reads the
dbguard_audit views and nothing else; the owner role owns dbguard's objects."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest
from psycopg import errors, sql

import dbguard
from dbguard.errors import DbguardError
from tests.plugins.operations import create_view


def as_role(conn, role):
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))


def refused(conn, query, params=None):
    """True when the statement fails for lack of privilege (or ownership)."""
    try:
        with conn.transaction():
            conn.execute(query, params)
    except errors.InsufficientPrivilege:
        return True
    return False


def test_application_role_writes_calls_and_appointments_with_triggers_firing(conn, make_role):
    app = make_role("app")
    dbguard.roles(conn, app=app)
    conn.commit()
    as_role(conn, app)
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    call = conn.execute("INSERT INTO public.calls (company_id, retell_call_id) VALUES (%s, 'r1') RETURNING id",
                        (company,)).fetchone()[0]
    assert conn.execute("SELECT direction FROM public.calls WHERE id = %s", (call,)).fetchone()[0] == "inbound", \
        "call_direction_default fired for the application role"
    appointment = conn.execute(
        "INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at) "
        "VALUES (%s, %s, now(), now() + interval '1 hour') RETURNING id", (company, call)).fetchone()[0]
    conn.execute("UPDATE public.appointments SET status = 'cancelled', cancelled_at = now() WHERE id = %s",
                 (appointment,))
    conn.execute("UPDATE public.calls SET booking_confirmed = true, appointment_made = true WHERE id = %s", (call,))
    # The client API; raise_alert is the rules' own (tests/security).
    assert conn.execute("SELECT dbguard.enqueue_review(%s, 'calcom_booking_failed')", (call,)).fetchone()[0]
    assert conn.execute("SELECT dbguard.breaker_allow('calcom')").fetchone()[0] is True
    assert conn.execute("SELECT dbguard.breaker_record_failure('calcom', 'x')").fetchone()[0] == "closed"
    assert conn.execute("SELECT count(*) FROM dbguard.vocabularies").fetchone()[0] > 0
    conn.commit()


@pytest.mark.parametrize("statement", [
    "INSERT INTO dbguard.data_consistency_alerts (alert_type, severity, entity_type, description, detected_by) "
    "VALUES ('x', 'info', 'call', 'forged', 'trigger')",
    "UPDATE dbguard.data_consistency_alerts SET resolved_at = now()",
    "INSERT INTO public.appointment_events (appointment_id, event) VALUES (1, 'created')",
    "DELETE FROM public.appointment_events",
    "INSERT INTO public.calcom_host_mapping_audits (mapping_id, action) VALUES (1, 'created')",
    "UPDATE public.calcom_host_mapping_audits SET reason = 'x'",
    "INSERT INTO dbguard.rule_settings (rule, mode) VALUES ('call_direction_default', 'off')",
    "UPDATE dbguard.rule_settings SET mode = 'off'",
    "UPDATE dbguard.manual_review_queue SET status = 'dismissed'",
    "INSERT INTO dbguard.circuit_breaker_states (key) VALUES ('forged')",
    "ALTER TABLE public.calls DISABLE TRIGGER USER",
    "ALTER TABLE public.appointments DISABLE TRIGGER ALL",
    "TRUNCATE public.calls",
    "DROP TRIGGER dbguard_100_before_row ON public.calls",
    "CREATE OR REPLACE FUNCTION dbguard.compiled_mode(p_rule text) RETURNS text LANGUAGE sql AS $$ SELECT 'off' $$",
    "SELECT dbguard.breaker_reset('calcom')",
    "SELECT dbguard.unregister_rule('call_direction_default')",
    "SELECT dbguard.raise_alert('t', 'info', 'call', '1', 'x')",
    "SELECT dbguard.rule_violation('r', 'alert', '23000', 't', 'call', '1', 'm', 'd', 'h')",
    "SELECT dbguard.redact_pii('{}'::jsonb)",
])
def test_application_role_cannot(conn, make_role, statement):
    app = make_role("app")
    dbguard.roles(conn, app=app)
    conn.execute("SELECT dbguard.breaker_allow('calcom')")
    conn.commit()
    as_role(conn, app)
    assert refused(conn, statement)


def test_application_role_cannot_switch_rule_modes_through_the_library(conn, make_role):
    app = make_role("app")
    dbguard.roles(conn, app=app)
    conn.commit()
    as_role(conn, app)
    with pytest.raises(errors.InsufficientPrivilege):
        dbguard.set_mode(conn, "call_direction_default", "off")


def test_functions_added_later_are_not_executable_by_the_application_role(conn, make_role):
    app = make_role("app")
    dbguard.roles(conn, app=app)
    conn.execute("CREATE FUNCTION dbguard.added_later() RETURNS int LANGUAGE sql SECURITY DEFINER "
                 "SET search_path = pg_catalog, pg_temp AS $$ SELECT 42 $$")
    conn.execute("REVOKE ALL ON FUNCTION dbguard.added_later() FROM PUBLIC")
    conn.commit()
    as_role(conn, app)
    assert refused(conn, "SELECT dbguard.added_later()")


def test_an_earlier_grant_of_every_function_is_taken_back(conn, make_role):
    app = make_role("app")
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(app)))
    conn.execute(sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dbguard TO {}").format(sql.Identifier(app)))
    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA dbguard GRANT EXECUTE ON FUNCTIONS TO {}").format(
        sql.Identifier(app)))
    dbguard.roles(conn, app=app)
    conn.execute("CREATE FUNCTION dbguard.added_later() RETURNS int LANGUAGE sql "
                 "SET search_path = pg_catalog, pg_temp AS $$ SELECT 42 $$")
    conn.execute("REVOKE ALL ON FUNCTION dbguard.added_later() FROM PUBLIC")
    assert conn.execute("SELECT has_function_privilege(%s, 'dbguard.raise_alert(text,text,text,text,text,jsonb,"
                        "text,boolean,text)', 'EXECUTE'), has_function_privilege(%s, 'dbguard.added_later()', "
                        "'EXECUTE')", (app, app)).fetchone() == (False, False)


def test_functions_an_owner_role_creates_later_are_not_executable_by_public(conn, make_role):
    owner = make_role("owner")
    dbguard.roles(conn, owner=owner)
    as_role(conn, owner)
    conn.execute("CREATE FUNCTION dbguard.added_later() RETURNS int LANGUAGE sql "
                 "SET search_path = pg_catalog, pg_temp AS $$ SELECT 42 $$")
    assert conn.execute("SELECT has_function_privilege('public', 'dbguard.added_later()', 'EXECUTE')"
                        ).fetchone()[0] is False


def _audit_views(conn):
    return [r[0] for r in conn.execute(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.views "
        "WHERE table_schema = 'dbguard_audit' ORDER BY table_name")]


def test_analyst_reads_every_audit_view_and_nothing_else(conn, make_role):
    analyst = make_role("analyst")
    dbguard.roles(conn, analyst=analyst)
    # Created after the grants: covered by the default privileges.
    create_view(conn, "circuit_breakers")
    conn.execute("SELECT dbguard.breaker_record_failure('calcom', 'x')")
    conn.commit()
    views = _audit_views(conn)
    assert "dbguard_audit.circuit_breakers" in views
    for view in views:
        assert conn.execute("SELECT has_table_privilege(%s, %s, 'INSERT, UPDATE, DELETE, TRUNCATE')",
                            (analyst, view)).fetchone()[0] is False, view
    as_role(conn, analyst)
    for view in views:
        conn.execute(f"SELECT * FROM {view} LIMIT 5").fetchall()
    assert conn.execute("SELECT count(*) FROM dbguard_audit.circuit_breakers").fetchone()[0] == 1
    for statement in [
        "SELECT * FROM public.calls", "SELECT * FROM public.appointments", "SELECT * FROM public.appointment_events",
        "SELECT * FROM dbguard.data_consistency_alerts", "SELECT * FROM dbguard.circuit_breaker_states",
        "SELECT * FROM dbguard.manual_review_queue", "SELECT dbguard.breaker_allow('calcom')",
        "INSERT INTO public.calls (retell_call_id) VALUES ('x')",
        "UPDATE dbguard.rule_settings SET mode = 'off'",
        "CREATE TABLE dbguard_audit.scratch (x int)",
        "CREATE VIEW dbguard_audit.scratch AS SELECT 1",
    ]:
        assert refused(conn, statement), statement


def test_views_existing_before_the_grant_are_readable_too(conn, make_role):
    create_view(conn, "circuit_breakers")
    analyst = make_role("analyst")
    dbguard.roles(conn, analyst=analyst)
    conn.commit()
    as_role(conn, analyst)
    conn.execute("SELECT * FROM dbguard_audit.circuit_breakers").fetchall()


def test_owner_role_owns_dbguard_objects_and_the_application_still_works(conn, make_role):
    owner, app = make_role("owner"), make_role("app")
    result = dbguard.roles(conn, app=app, owner=owner)
    conn.commit()
    assert set(result["created"]) == {owner, app}
    owners = conn.execute(
        """SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE (n.nspname IN ('dbguard', 'dbguard_audit') AND c.relkind IN ('r', 'v'))
               OR (n.nspname = 'public' AND c.relname IN ('calls', 'appointments', 'appointment_events'))""").fetchall()
    assert owners == [(owner,)]
    assert conn.execute("SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'raise_alert'").fetchone() \
        == (owner,)
    as_role(conn, app)
    call = conn.execute("INSERT INTO public.calls (retell_call_id) VALUES ('r1') RETURNING id").fetchone()[0]
    assert conn.execute("SELECT dbguard.enqueue_review(%s, 'calcom_booking_failed')", (call,)).fetchone()[0]
    conn.execute("UPDATE public.calls SET session_outcome = 'appointment_booked' WHERE id = %s", (call,))
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts").fetchone()[0] == 1
    assert refused(conn, "ALTER TABLE public.calls DISABLE TRIGGER USER")


def test_the_owner_role_can_change_vocabularies_and_modes_which_recompile_the_rules(conn, make_role):
    # A mode change recompiles the rules' trigger functions: the owner role must be able to
    # change modes and vocabularies, the application role not.
    owner, app = make_role("owner"), make_role("app")
    dbguard.roles(conn, app=app, owner=owner)
    conn.commit()
    as_role(conn, owner)
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', 'kiosk')")
    conn.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) "
                 "VALUES ('front_desk', 'kiosk', 'unknown')")
    conn.execute("UPDATE dbguard.rule_settings SET mode = 'alert' WHERE rule = 'lead_rollup'")
    assert conn.execute("SELECT dbguard.in_vocabulary('booking_source', 'kiosk'), "
                        "dbguard.mapped_booking_source('front_desk'), dbguard.compiled_mode('lead_rollup')"
                        ).fetchone() == (True, "kiosk", "alert")
    conn.rollback()
    as_role(conn, app)
    assert refused(conn, "INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', 'kiosk')")


def test_an_application_role_that_owns_a_table_is_refused(conn, make_role):
    app = make_role("app")
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(app)))
    conn.execute(sql.SQL("ALTER TABLE public.calls OWNER TO {}").format(sql.Identifier(app)))
    conn.commit()
    with pytest.raises(DbguardError, match=r"owns .*public\.calls.*DISABLE TRIGGER"):
        dbguard.roles(conn, app=app)


def test_an_owner_role_takes_the_tables_over_from_a_brownfield_application_role(conn, make_role):
    app, owner = make_role("app"), make_role("owner")
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(app)))
    conn.execute(sql.SQL("ALTER TABLE public.calls OWNER TO {}").format(sql.Identifier(app)))
    conn.commit()
    dbguard.roles(conn, app=app, owner=owner)
    conn.commit()
    assert conn.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.calls'::regclass"
                        ).fetchone()[0] == owner
    as_role(conn, app)
    assert refused(conn, "ALTER TABLE public.calls DISABLE TRIGGER USER")
    conn.execute("INSERT INTO public.calls (retell_call_id) VALUES ('r1')")


def test_roles_needs_distinct_names(conn, make_role):
    name = make_role("x")
    with pytest.raises(DbguardError, match="must be different"):
        dbguard.roles(conn, app=name, analyst=name)


def test_migrate_creates_and_grants_roles_idempotently(conn, dsn, make_role):
    app, analyst = make_role("app"), make_role("analyst")
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "migrate",
                                 "--app-role", app, "--analyst-role", analyst],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert conn.execute("SELECT has_table_privilege(%s, 'public.calls', 'INSERT'), "
                        "has_table_privilege(%s, 'public.appointment_events', 'INSERT'), "
                        "has_schema_privilege(%s, 'dbguard_audit', 'USAGE'), "
                        "has_table_privilege(%s, 'public.calls', 'SELECT')",
                        (app, app, analyst, analyst)).fetchone() == (True, False, True, False)
    listed = subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "roles", "--app-role", app],
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and f"app role {app}: granted" in listed.stdout
