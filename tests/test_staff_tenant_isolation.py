"""Rule staff_tenant_isolation: staff of an appointment or a host mapping belongs to its company."""

from __future__ import annotations

import pytest

import dbguard
from dbguard.errors import RuleViolation, TenantViolation


@pytest.fixture
def tenants(world):
    mine, theirs = world.company("Mine"), world.company("Theirs")
    return {"mine": mine, "theirs": theirs,
            "my_staff": world.staff(mine, "Anna", "anna@mine.example"),
            "their_staff": world.staff(theirs, "Zoe", "zoe@theirs.example")}


def _set_mode(conn, mode):
    dbguard.set_mode(conn, "staff_tenant_isolation", mode)


# ---- appointments -----------------------------------------------------------

@pytest.mark.parametrize("mode", ["off", "alert", "correct", "enforce"])
def test_own_staff_is_accepted_in_every_mode(conn, world, tenants, mode):
    _set_mode(conn, mode)
    appt = world.appointment(tenants["mine"], staff_id=tenants["my_staff"])
    assert world.appointment_staff(appt) == tenants["my_staff"]
    assert world.alerts("cross_tenant_staff") == []


def test_mode_off_keeps_foreign_staff_silently(conn, world, tenants):
    _set_mode(conn, "off")
    appt = world.appointment(tenants["mine"], staff_id=tenants["their_staff"])
    assert world.appointment_staff(appt) == tenants["their_staff"]
    assert world.alerts("cross_tenant_staff") == []


def test_mode_alert_keeps_foreign_staff_and_alerts(conn, world, tenants):
    _set_mode(conn, "alert")
    appt = world.appointment(tenants["mine"], staff_id=tenants["their_staff"])
    assert world.appointment_staff(appt) == tenants["their_staff"]
    [alert] = world.alerts("cross_tenant_staff")
    assert (alert["entity_type"], alert["entity_id"], alert["severity"], alert["auto_corrected"]) \
        == ("appointment", str(appt), "critical", False)
    assert alert["details"]["staff_company_id"] == tenants["theirs"] and alert["details"]["correction"] is None


def test_mode_correct_clears_foreign_staff_and_alerts(conn, world, tenants):
    appt = world.appointment(tenants["mine"], staff_id=tenants["their_staff"])
    assert world.appointment_staff(appt) is None
    [alert] = world.alerts("cross_tenant_staff")
    assert alert["auto_corrected"] is True and alert["rule"] == "staff_tenant_isolation"
    assert alert["details"]["staff_id"] == str(tenants["their_staff"])
    assert alert["details"]["correction"] == "staff_id cleared"


def test_mode_enforce_refuses_foreign_staff_with_dg004(conn, world, tenants):
    _set_mode(conn, "enforce")
    with pytest.raises(TenantViolation) as err:
        world.appointment(tenants["mine"], staff_id=tenants["their_staff"])
    assert isinstance(err.value, RuleViolation)
    diag = err.value.diag
    assert diag.sqlstate == "23Q04"
    assert "public.appointments row" in diag.message_primary and str(tenants["their_staff"]) in diag.message_primary
    assert f"is staff of company {tenants['theirs']}, not of company {tenants['mine']}" in diag.message_primary
    assert diag.table_name == "appointments" and diag.column_name == "staff_id"
    assert "same company" in diag.message_hint


@pytest.mark.parametrize("change", ["UPDATE public.appointments SET staff_id = %(their_staff)s WHERE id = %(appt)s",
                                    "UPDATE public.appointments SET company_id = %(theirs)s WHERE id = %(appt)s"])
def test_update_of_staff_or_company_is_checked(conn, world, tenants, change):
    _set_mode(conn, "enforce")
    appt = world.appointment(tenants["mine"], staff_id=tenants["my_staff"])
    with pytest.raises(TenantViolation):
        conn.execute(change, tenants | {"appt": appt})


def test_unknown_company_on_either_side_is_not_judged(conn, world, tenants):
    _set_mode(conn, "enforce")
    nowhere = world.staff(None, "Nomad")
    assert world.appointment_staff(world.appointment(None, staff_id=tenants["their_staff"])) == tenants["their_staff"]
    assert world.appointment_staff(world.appointment(tenants["mine"], staff_id=nowhere)) == nowhere


# ---- host mappings ----------------------------------------------------------

def test_mapping_without_company_takes_its_staffs_company(conn, world, tenants):
    mapping = world.mapping(tenants["their_staff"], 101)
    assert world.mappings(101)[0]["company_id"] == tenants["theirs"]
    assert world.audits(mapping)[0]["new_values"]["company_id"] == tenants["theirs"]


def test_mapping_mode_off_keeps_a_foreign_mapping(conn, world, tenants):
    _set_mode(conn, "off")
    world.mapping(tenants["their_staff"], 101, tenants["mine"])
    assert world.mappings(101)[0]["is_active"] is True and world.alerts("cross_tenant_staff") == []


def test_mapping_mode_alert_keeps_a_foreign_mapping_and_alerts(conn, world, tenants):
    _set_mode(conn, "alert")
    mapping = world.mapping(tenants["their_staff"], 101, tenants["mine"])
    assert world.mappings(101)[0]["is_active"] is True
    [alert] = world.alerts("cross_tenant_staff")
    assert (alert["entity_type"], alert["entity_id"], alert["auto_corrected"]) == ("calcom_host_mapping", str(mapping), False)


def test_mapping_mode_correct_deactivates_a_foreign_mapping_and_alerts(conn, world, tenants):
    mapping = world.mapping(tenants["their_staff"], 101, tenants["mine"])
    [m] = world.mappings(101)
    assert (m["is_active"], m["staff_id"]) == (False, tenants["their_staff"])
    [alert] = world.alerts("cross_tenant_staff")
    assert alert["auto_corrected"] is True and alert["details"]["correction"] == "mapping deactivated"
    assert dbguard.resolve_staff_for_host(conn, tenants["mine"], {"id": 101}) is None, "a foreign mapping is never used"
    conn.execute("UPDATE public.calcom_host_mappings SET is_active = true WHERE id = %s", (mapping,))
    assert world.mappings(101)[0]["is_active"] is False, "re-activating it is checked again"


def test_mapping_mode_enforce_refuses_a_foreign_mapping(conn, world, tenants):
    _set_mode(conn, "enforce")
    with pytest.raises(TenantViolation) as err:
        world.mapping(tenants["their_staff"], 101, tenants["mine"])
    assert "public.calcom_host_mappings row" in err.value.diag.message_primary
    assert err.value.diag.table_name == "calcom_host_mappings"


def test_mapping_moved_to_foreign_staff_is_refused_in_enforce(conn, world, tenants):
    _set_mode(conn, "enforce")
    mapping = world.mapping(tenants["my_staff"], 101)
    with pytest.raises(TenantViolation):
        conn.execute("UPDATE public.calcom_host_mappings SET staff_id = %s WHERE id = %s",
                     (tenants["their_staff"], mapping))
