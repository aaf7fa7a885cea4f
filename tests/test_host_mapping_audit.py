"""Rule host_mapping_audit: every change of a host mapping leaves an audit row, and the trail outlives the mapping."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

import dbguard
from dbguard.errors import GenericRuleViolation, InvalidActingSetting


@pytest.fixture
def anna(world):
    company = world.company()
    return company, world.staff(company, "Anna Meier", "anna@example.com")


def test_create_update_delete_are_audited_with_old_and_new_values(conn, world, anna):
    company, staff = anna
    with dbguard.acting(conn, actor="cal.com_webhook", user_id=7, reason="sync"):
        mapping = world.mapping(staff, 101, company, calcom_name="Anna")
        conn.execute("UPDATE public.calcom_host_mappings SET confidence_score = 80 WHERE id = %s", (mapping,))
        conn.execute("DELETE FROM public.calcom_host_mappings WHERE id = %s", (mapping,))

    created, updated, deleted = world.audits(mapping)
    assert (created["action"], created["old_values"], created["new_values"]["calcom_name"]) == ("created", None, "Anna")
    assert created["new_values"]["staff_id"] == str(staff) and created["new_values"]["id"] == mapping
    assert (updated["action"], updated["old_values"]["confidence_score"], updated["new_values"]["confidence_score"]) \
        == ("updated", 100, 80)
    assert (deleted["action"], deleted["old_values"]["confidence_score"], deleted["new_values"]) == ("deleted", 80, None)
    assert {(a["changed_by"], a["reason"], a["actor"]) for a in (created, updated, deleted)} \
        == {(7, "sync", "cal.com_webhook")}
    assert all(a["changed_at"] is not None and a["db_user"] for a in (created, updated, deleted))
    assert world.mappings() == [], "the audit rows survive the mapping"


def test_resolver_mapping_is_audited_as_auto_matched(conn, world, anna):
    company, staff = anna
    with dbguard.acting(conn, actor="cal.com_webhook"):
        dbguard.resolve_staff_for_host(conn, company, {"id": 101, "email": "anna@example.com"})

    [audit] = world.audits()
    assert audit["action"] == "auto_matched"
    assert audit["new_values"]["mapping_source"] == "auto_email" and audit["new_values"]["confidence_score"] == 95
    assert audit["reason"] == "auto_email: calendar host 101 matched by e-mail" and audit["actor"] == "cal.com_webhook"
    assert conn.execute("SELECT current_setting('dbguard.resolver', true)").fetchone()[0] in ("", None), \
        "the resolver's marker does not outlive its own write"


def test_admin_change_is_audited_as_manual_override(conn, world, anna):
    company, staff = anna
    dbguard.resolve_staff_for_host(conn, company, {"id": 101, "email": "anna@example.com"})
    bob = world.staff(company, "Bob", "bob@example.com")
    mapping = world.mappings(101)[0]["id"]

    with dbguard.acting(conn, actor="admin_user", user_id=1, reason="Anna left the front desk"):
        conn.execute("UPDATE public.calcom_host_mappings SET staff_id = %s, mapping_source = 'admin', "
                     "confidence_score = 100 WHERE id = %s", (bob, mapping))
        other = world.mapping(staff, 202, company, mapping_source="admin")

    override = world.audits(mapping)[-1]
    assert override["action"] == "manual_override"
    assert (override["old_values"]["staff_id"], override["new_values"]["staff_id"]) == (str(staff), str(bob))
    assert (override["old_values"]["mapping_source"], override["new_values"]["mapping_source"]) == ("auto_email", "admin")
    assert (override["changed_by"], override["reason"], override["actor"]) == (1, "Anna left the front desk", "admin_user")
    assert [a["action"] for a in world.audits(other)] == ["manual_override"]


def test_sync_only_update_writes_no_audit_row(conn, world, anna):
    company, staff = anna
    mapping = world.mapping(staff, 101, company)
    conn.execute("UPDATE public.calcom_host_mappings SET last_synced_at = now(), updated_at = now() WHERE id = %s",
                 (mapping,))
    conn.execute("UPDATE public.calcom_host_mappings SET calcom_name = calcom_name WHERE id = %s", (mapping,))
    assert [a["action"] for a in world.audits(mapping)] == ["created"]


def test_deleting_the_staff_keeps_the_trail_of_its_mappings(conn, world, anna):
    company, staff = anna
    mapping = world.mapping(staff, 101, company)
    conn.execute("DELETE FROM public.staff WHERE id = %s", (staff,))
    assert world.mappings() == []
    assert [a["action"] for a in world.audits(mapping)] == ["created", "deleted"]


def test_truncate_is_audited_row_by_row(conn, world, anna):
    company, staff = anna
    first, second = world.mapping(staff, 101, company), world.mapping(staff, 102, company)
    conn.execute("TRUNCATE public.calcom_host_mappings")
    deleted = [a for a in world.audits() if a["action"] == "deleted"]
    assert sorted(a["mapping_id"] for a in deleted) == [first, second]
    assert all(a["old_values"]["staff_id"] == str(staff) and a["reason"] == "TRUNCATE" for a in deleted)


@pytest.mark.parametrize("mode", ["alert", "correct", "enforce"])
def test_attributed_changes_are_audited_in_every_mode_but_off(conn, world, anna, mode):
    company, staff = anna
    dbguard.set_mode(conn, "host_mapping_audit", mode)
    with dbguard.acting(conn, user_id=3):
        mapping = world.mapping(staff, 101, company)
    assert [a["action"] for a in world.audits(mapping)] == ["created"]
    assert world.alerts("unattributed_host_mapping_change") == []


def test_mode_off_writes_no_audit(conn, world, anna):
    company, staff = anna
    dbguard.set_mode(conn, "host_mapping_audit", "off")
    mapping = world.mapping(staff, 101, company)
    conn.execute("DELETE FROM public.calcom_host_mappings WHERE id = %s", (mapping,))
    assert world.audits() == []


def test_mode_alert_alerts_on_an_unattributed_change(conn, world, anna):
    company, staff = anna
    dbguard.set_mode(conn, "host_mapping_audit", "alert")
    mapping = world.mapping(staff, 101, company)
    [audit] = world.audits(mapping)
    assert (audit["changed_by"], audit["actor"], audit["db_user"]) == (None, None, conn.info.user)
    [alert] = world.alerts("unattributed_host_mapping_change")
    assert (alert["entity_id"], alert["rule"], alert["auto_corrected"]) == (str(mapping), "host_mapping_audit", False)


def test_mode_correct_records_an_unattributed_change_with_the_database_role(conn, world, anna):
    company, staff = anna
    mapping = world.mapping(staff, 101, company)
    [audit] = world.audits(mapping)
    assert (audit["action"], audit["changed_by"], audit["db_user"]) == ("created", None, conn.info.user)
    assert world.alerts("unattributed_host_mapping_change") == []


def test_mode_enforce_refuses_an_unattributed_change(conn, world, anna):
    company, staff = anna
    dbguard.set_mode(conn, "host_mapping_audit", "enforce")
    conn.commit()
    with pytest.raises(GenericRuleViolation) as err:
        world.mapping(staff, 101, company)
    diag = err.value.diag
    assert diag.sqlstate == "23Q01" and "without saying who acts" in diag.message_primary
    assert "dbguard.user_id" in diag.message_hint
    conn.rollback()
    with dbguard.acting(conn, actor="cal.com_webhook"):
        dbguard.resolve_staff_for_host(conn, company, {"id": 101, "email": "anna@example.com"})
    assert [a["action"] for a in world.audits()] == ["auto_matched"]


def test_application_role_without_insert_on_audits_still_leaves_a_trail(conn, world, anna):
    company, staff = anna
    role = f"dbguard_app_{uuid.uuid4().hex[:8]}"
    ident = sql.Identifier(role)
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident))
    conn.commit()
    try:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA dbguard TO {}").format(ident))
        conn.execute(sql.SQL("GRANT SELECT ON dbguard.rule_settings TO {}").format(ident))
        conn.execute(sql.SQL("GRANT SELECT ON public.staff TO {}").format(ident))
        conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON public.calcom_host_mappings TO {}").format(ident))
        conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE public.calcom_host_mappings_id_seq TO {}").format(ident))
        # No dbguard function is executable by PUBLIC: the client API is granted (dbguard roles does it).
        conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dbguard.resolve_staff_for_host(bigint, uuid, jsonb) TO {}"
                             ).format(ident))
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident))

        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with conn.transaction():
                conn.execute("INSERT INTO public.calcom_host_mapping_audits (mapping_id, action) VALUES (1, 'created')")
        with dbguard.acting(conn, user_id=5):
            assert dbguard.resolve_staff_for_host(conn, company, {"id": 101, "email": "anna@example.com"}) == staff
        conn.execute("RESET ROLE")
        assert [(a["action"], a["changed_by"], a["db_user"]) for a in world.audits()] \
            == [("auto_matched", 5, conn.info.user)]
    finally:
        conn.rollback()
        conn.execute(sql.SQL("DROP OWNED BY {}").format(ident))
        conn.execute(sql.SQL("DROP ROLE {}").format(ident))
        conn.commit()


def test_mapping_with_null_columns_is_audited(conn, world):
    mapping = conn.execute("INSERT INTO public.calcom_host_mappings DEFAULT VALUES RETURNING id").fetchone()[0]
    conn.execute("UPDATE public.calcom_host_mappings SET calcom_host_id = 5 WHERE id = %s", (mapping,))
    assert [(a["action"], a["new_values"]["staff_id"]) for a in world.audits(mapping)] \
        == [("created", None), ("updated", None)]


def test_a_user_id_that_is_not_an_integer_is_refused_not_dropped_from_the_trail(conn, world, anna):
    company, staff = anna
    conn.execute("SET LOCAL dbguard.user_id = 'bob'")
    with pytest.raises(InvalidActingSetting):
        world.mapping(staff, 101, company)
