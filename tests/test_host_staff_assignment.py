"""Rule host_staff_assignment: an appointment with a calendar host and no staff gets the host's mapped staff."""

from __future__ import annotations

import pytest

import dbguard


@pytest.fixture
def mapped(world):
    company = world.company()
    anna = world.staff(company, "Anna", "anna@example.com")
    world.mapping(anna, 101, company)
    return company, anna


@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_new_appointment_with_mapped_host_gets_its_staff(conn, world, mapped, mode):
    dbguard.set_mode(conn, "host_staff_assignment", mode)
    company, anna = mapped
    assert world.appointment_staff(world.appointment(company, calcom_host_id=101)) == anna
    assert world.alerts("unassigned_staff") == [], "deriving the staff is silent"


def test_host_set_later_assigns_staff(conn, world, mapped):
    company, anna = mapped
    appt = world.appointment(company)
    conn.execute("UPDATE public.appointments SET calcom_host_id = 101 WHERE id = %s", (appt,))
    assert world.appointment_staff(appt) == anna


def test_given_staff_wins(conn, world, mapped):
    company, _ = mapped
    bob = world.staff(company, "Bob")
    assert world.appointment_staff(world.appointment(company, calcom_host_id=101, staff_id=bob)) == bob


def test_staff_cleared_by_hand_is_not_reassigned_by_an_unrelated_update(conn, world, mapped):
    company, _ = mapped
    appt = world.appointment(company, calcom_host_id=101)
    conn.execute("UPDATE public.appointments SET staff_id = NULL WHERE id = %s", (appt,))
    conn.execute("UPDATE public.appointments SET notes = 'x', calcom_host_id = 101 WHERE id = %s", (appt,))
    assert world.appointment_staff(appt) is None


def test_unmapped_host_leaves_staff_empty(conn, world, mapped):
    company, _ = mapped
    assert world.appointment_staff(world.appointment(company, calcom_host_id=999)) is None


@pytest.mark.parametrize("change", ["UPDATE public.staff SET is_active = false",
                                    "UPDATE public.calcom_host_mappings SET is_active = false"])
def test_inactive_mapping_or_staff_is_not_used(conn, world, mapped, change):
    company, _ = mapped
    conn.execute(change)
    assert world.appointment_staff(world.appointment(company, calcom_host_id=101)) is None


def test_mapping_of_another_company_is_not_used(conn, world, mapped):
    other = world.company("Other")
    assert world.appointment_staff(world.appointment(other, calcom_host_id=101)) is None
    assert world.appointment_staff(world.appointment(None, calcom_host_id=101)) is None


def test_mode_alert_reports_without_assigning(conn, world, mapped):
    dbguard.set_mode(conn, "host_staff_assignment", "alert")
    company, anna = mapped
    appt = world.appointment(company, calcom_host_id=101)
    assert world.appointment_staff(appt) is None
    [alert] = world.alerts("unassigned_staff")
    assert (alert["entity_id"], alert["auto_corrected"], alert["details"]["staff_id"]) == (str(appt), False, str(anna))


def test_mode_off_does_nothing(conn, world, mapped):
    dbguard.set_mode(conn, "host_staff_assignment", "off")
    company, _ = mapped
    assert world.appointment_staff(world.appointment(company, calcom_host_id=101)) is None
    assert world.alerts("unassigned_staff") == []
