"""Attacks by the application role (a real non-superuser LOGIN role, member of
the role `dbguard roles --app-role` creates) on dbguard's own privileges:
temporary types shadowing pg_catalog's inside functions that run as the owner,
dbguard's trigger functions attached to the attacker's own tables, and
dbguard's internal helpers called directly. Each must fail, and the
application's ordinary writes must still get every rule applied."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

import dbguard
from dbguard.roles import CLIENT_FUNCTIONS

# Type names a session can shadow with a pg_temp domain: not SQL keywords (integer, bigint, boolean,
# numeric, interval, timestamp with time zone are resolved to pg_catalog by the grammar itself).
SHADOWABLE = ("text", "jsonb", "timestamptz", "uuid", "bool", "int4", "int8", "regclass", "regprocedure", "name")

EVIL = """
CREATE FUNCTION pg_temp.evil(anyelement) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    IF current_user <> session_user THEN
        RAISE WARNING 'evil ran as %', current_user;
        BEGIN
            EXECUTE format('ALTER ROLE %I SUPERUSER', session_user);
        EXCEPTION WHEN others THEN NULL;
        END;
    END IF;
    RETURN true;
END $f$
"""


def _shadow_types(session: psycopg.Connection) -> None:
    session.execute(EVIL)
    for name in SHADOWABLE:
        session.execute(sql.SQL("CREATE DOMAIN pg_temp.{} AS pg_catalog.{} CHECK (pg_temp.evil(VALUE))").format(
            sql.Identifier(name), sql.Identifier(name)))


def _try(session: psycopg.Connection, query: str, params=None) -> None:
    """Run one write or call; a refusal is fine, only running evil as someone else is not."""
    try:
        with session.transaction():
            session.execute(query, params)
    except psycopg.Error:
        pass


def _everything_an_application_does(session: psycopg.Connection) -> None:
    one = lambda q, p=None: session.execute(q, p).fetchone()[0]  # noqa: E731
    company = one("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id")
    staff = one("INSERT INTO public.staff (company_id, name, email) VALUES (%s, 'Anna Meier', 'anna@example.com') "
                "RETURNING id", (company,))
    call = one("INSERT INTO public.calls (company_id, retell_call_id, session_outcome, appointment_made) "
               "VALUES (%s, 'r1', 'appointment_booked', false) RETURNING id", (company,))
    appointment = one(
        "INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at, source, metadata) "
        "VALUES (%s, %s, now(), now() + interval '1 hour', 'retell_webhook', %s) RETURNING id",
        (company, call, Jsonb({"email": "x@example.com", "phone": "+49 170 1234567"})))
    writes = [
        ("UPDATE public.appointments SET starts_at = starts_at + interval '1 day' WHERE id = %s", (appointment,)),
        ("INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at, rescheduled_from_id) "
         "VALUES (%s, %s, now() + interval '2 days', now() + interval '2 days 1 hour', %s)",
         (company, call, appointment)),
        ("UPDATE public.appointments SET status = 'cancelled' WHERE id = %s", (appointment,)),
        ("UPDATE public.calls SET booking_confirmed = true, appointment_made = true WHERE id = %s", (call,)),
        ("INSERT INTO public.calcom_host_mappings (staff_id, calcom_host_id, company_id, mapping_source, "
         "confidence_score) VALUES (%s, 7, %s, 'manual', 100)", (staff, company)),
        ("UPDATE public.calcom_host_mappings SET confidence_score = 90 WHERE calcom_host_id = 7", None),
        ("SELECT dbguard.resolve_staff_for_host(%s, NULL, %s)",
         (company, Jsonb({"id": 8, "email": "anna@example.com", "name": "Anna Meier"}))),
        ("SELECT dbguard.assign_staff_from_booking(%s, %s)", (appointment, Jsonb({"hosts": [{"id": 9}]}))),
        ("SELECT * FROM dbguard.validate_appointment_creation(%s, %s, 'b1')", (call, appointment)),
        ("SELECT dbguard.rollback_booking_flags(%s, 'test')", (call,)),
        ("SELECT dbguard.enqueue_review(%s, 'calcom_booking_failed', %s)", (call, Jsonb({"a": 1}))),
        ("SELECT dbguard.breaker_allow('calcom')", None),
        ("SELECT dbguard.breaker_record_failure('calcom', 'boom')", None),
        ("SELECT dbguard.breaker_record_success('calcom')", None),
        ("SELECT dbguard.raise_alert('x', 'info', 'call', '1', 'x', '{}')", None),
        ("DELETE FROM public.appointments WHERE id = %s", (appointment,)),
        ("DELETE FROM public.calcom_host_mappings", None),
    ]
    for query, params in writes:
        _try(session, query, params)


@pytest.mark.parametrize("with_owner_role", [False, True], ids=["migrating-role-owns", "owner-role-owns"])
def test_a_temporary_type_never_runs_as_the_owner_of_a_dbguard_function(conn, app, make_role, with_owner_role):
    if with_owner_role:
        dbguard.roles(conn, app=app.role, owner=make_role("owner"))
        conn.commit()
    session = app.connect(autocommit=True)
    warnings: list[str] = []
    session.add_notice_handler(lambda diag: warnings.append(diag.message_primary or ""))
    _shadow_types(session)
    _everything_an_application_does(session)
    session.close()
    assert [w for w in warnings if w.startswith("evil ran as")] == []
    assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", (app.login,)).fetchone()[0] is False
    # The rules did run on those writes (the attack was not merely refused).
    assert conn.execute("SELECT count(*) FROM public.appointment_events").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM public.calcom_host_mapping_audits").fetchone()[0] > 0


@pytest.mark.parametrize("function,table,trail", [
    ("tg_appointments__history", "public.appointments", "public.appointment_events"),
    ("tg_calcom_host_mappings__audit", "public.calcom_host_mappings", "public.calcom_host_mapping_audits"),
])
def test_the_application_cannot_forge_a_trail_through_a_trigger_on_its_own_table(attacker, function, table, trail):
    attacker.execute(f"CREATE TEMP TABLE fake (LIKE {table} INCLUDING DEFAULTS)")
    attacker.execute("INSERT INTO fake (id) VALUES (424242)")
    before = attacker.execute(f"SELECT count(*) FROM {trail}").fetchone()[0]
    with pytest.raises(errors.InsufficientPrivilege):
        attacker.execute(f"CREATE TRIGGER forge AFTER INSERT OR UPDATE OR DELETE ON fake FOR EACH ROW "
                         f"EXECUTE FUNCTION dbguard.{function}()")
    _try(attacker, "SET LOCAL dbguard.actor = 'admin_user'")
    _try(attacker, "UPDATE fake SET status = 'cancelled', starts_at = now()" if "appointments" in table
         else "UPDATE fake SET confidence_score = 1")
    _try(attacker, "DELETE FROM fake")
    assert attacker.execute(f"SELECT count(*) FROM {trail}").fetchone()[0] == before


def test_the_application_cannot_forge_a_trail_through_its_own_trigger_function(attacker):
    # A trigger function of its own calling dbguard's internals would write in dbguard's name.
    attacker.execute("CREATE TEMP TABLE fake (id bigint)")
    attacker.execute("""CREATE FUNCTION pg_temp.forge() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN PERFORM dbguard.raise_alert('phantom_booking', 'critical', 'call', '1', 'forged',
                                                          '{}'::jsonb, 'scan', true);
                              RETURN NULL; END $$""")
    attacker.execute("CREATE TRIGGER forge AFTER INSERT ON fake FOR EACH ROW EXECUTE FUNCTION pg_temp.forge()")
    with pytest.raises(errors.InsufficientPrivilege):
        attacker.execute("INSERT INTO fake VALUES (1)")
    assert attacker.execute("SELECT count(*) FROM dbguard.data_consistency_alerts").fetchone()[0] == 0


def test_the_application_cannot_forge_a_scan_alert_that_would_hide_a_real_one(attacker, conn):
    call = conn.execute("INSERT INTO public.calls (retell_call_id) VALUES ('r1') RETURNING id").fetchone()[0]
    conn.commit()
    with pytest.raises(errors.InsufficientPrivilege):
        attacker.execute("SELECT dbguard.raise_alert('phantom_booking', 'critical', 'call', %s, 'all fine', "
                         "'{}', 'scan', true)", (str(call),))
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts").fetchone()[0] == 0


def test_the_application_executes_exactly_the_client_api(conn, app):
    executable = {name for name, ok in conn.execute(
        """SELECT p.proname, has_function_privilege(%s, p.oid, 'EXECUTE')
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname IN ('dbguard', 'dbguard_audit')""", (app.login,)).fetchall() if ok}
    assert executable == set(CLIENT_FUNCTIONS)


def test_every_rule_applies_to_the_application_role_writes(conn, attacker):
    one = lambda q, p=None: attacker.execute(q, p).fetchone()[0]  # noqa: E731
    company = one("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id")
    call = one("INSERT INTO public.calls (company_id, retell_call_id, session_outcome) "
               "VALUES (%s, 'r1', 'appointment_booked') RETURNING id", (company,))
    appointment = one("INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at, metadata) "
                      "VALUES (%s, %s, now(), now() + interval '1 hour', %s) RETURNING id",
                      (company, call, Jsonb({"note": "call me at anna@example.com"})))
    attacker.execute("UPDATE public.appointments SET status = 'cancelled' WHERE id = %s", (appointment,))
    with attacker.transaction():
        attacker.execute("UPDATE public.calls SET booking_confirmed = true WHERE id = %s", (call,))
        attacker.execute("DELETE FROM public.appointments WHERE id = %s", (appointment,))
    assert conn.execute("SELECT direction, appointment_made, booking_confirmed FROM public.calls WHERE id = %s",
                        (call,)).fetchone() == ("inbound", False, False)
    assert conn.execute("SELECT metadata::text FROM public.appointments WHERE id = %s", (appointment,)).fetchone() \
        is None
    events = [e for (e,) in conn.execute("SELECT event FROM public.appointment_events WHERE appointment_id = %s "
                                         "ORDER BY id", (appointment,))]
    assert events == ["created", "cancelled", "deleted"]
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts").fetchone()[0] > 0
    # The claim taken back at the call's insert was restored when its appointment arrived (that
    # entry is resolved); the one taken back when the appointment was deleted is pending.
    assert conn.execute("SELECT status FROM dbguard.manual_review_queue WHERE call_id = %s ORDER BY id", (call,)
                        ).fetchall() == [("resolved",), ("pending",)]


def test_the_resolver_marker_set_by_the_application_does_not_label_its_write_auto_matched(conn, attacker):
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    staff = conn.execute("INSERT INTO public.staff (company_id, name, email) VALUES (%s, 'Anna Meier', "
                         "'anna@example.com') RETURNING id", (company,)).fetchone()[0]
    conn.commit()
    with attacker.transaction():
        attacker.execute("SET LOCAL dbguard.resolver = 'auto_email: calendar host 7 matched by e-mail'")
        attacker.execute("SET LOCAL dbguard.user_id = '5'")
        attacker.execute("INSERT INTO public.calcom_host_mappings (staff_id, calcom_host_id, company_id, "
                         "mapping_source, confidence_score) VALUES (%s, 7, %s, 'auto_email', 95)", (staff, company))
    # The resolver itself still marks its own writes.
    assert attacker.execute("SELECT dbguard.resolve_staff_for_host(%s, NULL, %s)",
                            (company, Jsonb({"id": 8, "email": "anna@example.com"}))).fetchone()[0] == staff
    assert conn.execute("SELECT calcom_host_id, action, reason FROM public.calcom_host_mapping_audits m "
                        "JOIN public.calcom_host_mappings h ON h.id = m.mapping_id ORDER BY m.id").fetchall() \
        == [(7, "created", None), (8, "auto_matched", "auto_email: calendar host 8 matched by e-mail")]


def test_the_application_can_call_every_function_of_the_client_api(conn, attacker):
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    staff = conn.execute("INSERT INTO public.staff (company_id, name, email) VALUES (%s, 'Anna Meier', "
                         "'anna@example.com') RETURNING id", (company,)).fetchone()[0]
    conn.commit()
    one = lambda q, p=None: attacker.execute(q, p).fetchone()[0]  # noqa: E731
    call = one("INSERT INTO public.calls (company_id, retell_call_id) VALUES (%s, 'r1') RETURNING id", (company,))
    appointment = one("INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at) "
                      "VALUES (%s, %s, now(), now() + interval '1 hour') RETURNING id", (company, call))
    assert one("SELECT dbguard.resolve_staff_for_host(%s, NULL, %s)",
               (company, Jsonb({"id": 8, "email": "anna@example.com"}))) == staff
    assert one("SELECT dbguard.assign_staff_from_booking(%s, %s)", (appointment, Jsonb({"hosts": [{"id": 8}]}))) \
        == staff
    assert one("SELECT success FROM dbguard.validate_appointment_creation(%s, %s, NULL)", (call, appointment)) \
        in (True, False)
    attacker.execute("SELECT dbguard.rollback_booking_flags(%s, 'calcom_booking_failed')", (call,))
    assert one("SELECT dbguard.enqueue_review(%s, 'service_not_found', '{}')", (call,))
    assert one("SELECT dbguard.breaker_allow('calcom')") is True
    assert one("SELECT dbguard.breaker_record_failure('calcom', 'timeout')") == "closed"
    assert one("SELECT dbguard.breaker_record_success('calcom')") == "closed"
    assert set(CLIENT_FUNCTIONS) == {
        "resolve_staff_for_host", "assign_staff_from_booking", "validate_appointment_creation",
        "rollback_booking_flags", "enqueue_review", "breaker_allow", "breaker_record_success",
        "breaker_record_failure"}


@pytest.mark.parametrize("attack", [
    # a setting that is not a code, beside a source that maps
    ("SET LOCAL dbguard.source = 'evil_channel'", {}),
    ("SET LOCAL dbguard.actor = 'evil_actor'", {}),
    # a temporary mapping table that maps the source to the written code
    ("CREATE TEMPORARY TABLE source_mappings (source text, booking_source text, created_by text); "
     "INSERT INTO pg_temp.source_mappings VALUES ('retell_webhook', 'evil_channel', 'retell_ai')",
     {"booking_source": "evil_channel"}),
])
def test_a_mapped_source_lets_no_unknown_code_past_creation_metadata(conn, attacker, attack):
    # creation_metadata takes a mapped booking source and actor without a second look-up;
    # nothing the application writes or sets makes an unknown code pass as mapped.
    setup, cols = attack
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    conn.commit()
    names = ", ".join(["company_id", "starts_at", "source", *cols])
    marks = ", ".join(["%s", "now() + interval '1 day'", "'retell_webhook'"] + ["%s"] * len(cols))
    with pytest.raises(errors.lookup("23Q02")):
        with attacker.transaction():
            attacker.execute(setup)
            attacker.execute(f"INSERT INTO public.appointments ({names}) VALUES ({marks})", [company, *cols.values()])
    with pytest.raises(errors.InsufficientPrivilege):
        attacker.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) "
                         "VALUES ('kiosk', 'widget_embed', 'unknown')")
