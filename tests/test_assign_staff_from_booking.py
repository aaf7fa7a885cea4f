"""dbguard.assign_staff_from_booking: a provider booking response (with "hosts") assigns an appointment's staff."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

import dbguard


@pytest.fixture
def clinic(world):
    company = world.company()
    return {"company": company,
            "anna": world.staff(company, "Anna Meier", "anna@example.com"),
            "bob": world.staff(company, "Bob Brown", "bob@example.com")}


def booking(*hosts, **extra):
    return {"id": 555, "uid": "bk_1", "status": "accepted", "hosts": list(hosts)} | extra


def test_booking_hosts_assign_staff_and_host_id(conn, world, clinic):
    appt = world.appointment(clinic["company"])

    staff = dbguard.assign_staff_from_booking(
        conn, appt, booking({"id": 7, "email": "anna@example.com", "name": "Anna Meier", "timeZone": "Europe/Berlin"}))

    assert staff == clinic["anna"]
    assert world.rows("SELECT staff_id, calcom_host_id FROM public.appointments WHERE id = %s", (appt,)) \
        == [{"staff_id": clinic["anna"], "calcom_host_id": 7}]
    assert world.mappings(7)[0]["mapping_source"] == "auto_email"


def test_calcom_v2_response_wrapper_is_accepted_as_json_text(conn, world, clinic):
    appt = world.appointment(clinic["company"])
    response = json.dumps({"status": "success", "data": booking({"id": 8, "name": "bob brown"})})
    assert dbguard.assign_staff_from_booking(conn, appt, response) == clinic["bob"]


def test_first_host_that_resolves_wins_and_the_appointments_own_host_goes_first(conn, world, clinic):
    first = world.appointment(clinic["company"])
    hosts = [{"id": 1, "email": "nobody@example.com"}, {"id": 2, "email": "bob@example.com"},
             {"id": 3, "email": "anna@example.com"}]
    assert dbguard.assign_staff_from_booking(conn, first, booking(*hosts)) == clinic["bob"]
    assert world.rows("SELECT calcom_host_id FROM public.appointments WHERE id = %s", (first,))[0]["calcom_host_id"] == 2

    own = world.appointment(clinic["company"], calcom_host_id=3)
    conn.execute("UPDATE public.appointments SET staff_id = NULL WHERE id = %s", (own,))
    assert dbguard.assign_staff_from_booking(conn, own, booking(*hosts)) == clinic["anna"]


def test_existing_staff_is_kept(conn, world, clinic):
    appt = world.appointment(clinic["company"], staff_id=clinic["bob"])
    assert dbguard.assign_staff_from_booking(conn, appt, booking({"id": 7, "email": "anna@example.com"})) == clinic["bob"]
    assert world.appointment_staff(appt) == clinic["bob"]
    assert world.mappings() == []


def test_no_resolvable_host_records_the_host_and_leaves_staff_empty(conn, world, clinic):
    appt = world.appointment(clinic["company"])
    assert dbguard.assign_staff_from_booking(conn, appt, booking({"id": 9, "email": "x@example.com"})) is None
    assert world.rows("SELECT staff_id, calcom_host_id FROM public.appointments WHERE id = %s", (appt,)) \
        == [{"staff_id": None, "calcom_host_id": 9}]
    assert dbguard.assign_staff_from_booking(conn, appt, booking()) is None, "an empty host list is no error"


def test_staff_of_another_company_is_never_assigned(conn, world, clinic):
    other = world.company("Other")
    world.staff(other, "Zoe", "zoe@example.com")
    appt = world.appointment(clinic["company"])
    assert dbguard.assign_staff_from_booking(conn, appt, booking({"id": 4, "email": "zoe@example.com"})) is None


def test_callable_from_plain_sql(conn, world, clinic):
    appt = world.appointment(clinic["company"])
    got = conn.execute("SELECT dbguard.assign_staff_from_booking(%s, %s::jsonb)",
                       (appt, '{"hosts": [{"id": 7, "email": "anna@example.com"}]}')).fetchone()[0]
    assert got == clinic["anna"]


@pytest.mark.parametrize("bad, message", [
    ([], "booking must be a JSON object, got array"),
    ("null", "booking must be a JSON object, got null"),
    ({"id": 1}, 'booking "hosts" must be an array, got no "hosts" key'),
    ({"hosts": {"id": 1}}, 'booking "hosts" must be an array, got object'),
    ({"data": {"hosts": "anna"}}, 'booking "hosts" must be an array, got string'),
    ({"hosts": [{"id": 1, "email": "anna@example.com"}, {"email": "bob@example.com"}]}, 'no "id" key'),
    ({"hosts": [None]}, "host must be a JSON object, got null"),
])
def test_malformed_booking_is_a_clear_error_and_writes_nothing(conn, world, clinic, bad, message):
    appt = world.appointment(clinic["company"])
    conn.commit()
    with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
        dbguard.assign_staff_from_booking(conn, appt, bad)
    assert message in err.value.diag.message_primary
    conn.rollback()
    assert world.mappings() == [] and world.appointment_staff(appt) is None


def test_null_booking_or_appointment_is_a_clear_error(conn, world, clinic):
    appt = world.appointment(clinic["company"])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="got SQL NULL"):
        dbguard.assign_staff_from_booking(conn, appt, None)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="needs an appointment id"):
        dbguard.assign_staff_from_booking(conn, None, booking())


def test_missing_appointment_is_a_clear_error(conn, clinic):
    with pytest.raises(psycopg.errors.NoDataFound, match="appointment 424242 not found"):
        dbguard.assign_staff_from_booking(conn, 424242, booking({"id": 7}))


def test_appointment_without_company_is_a_clear_error(conn, world, clinic):
    appt = world.appointment(None)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=f"row {appt}: company_id is NULL"):
        dbguard.assign_staff_from_booking(conn, appt, booking({"id": 7, "email": "anna@example.com"}))


def test_concurrent_assignment_of_one_appointment_agrees_on_one_staff_and_one_mapping(conn, world, clinic, connect):
    appt = world.appointment(clinic["company"])
    conn.commit()
    sessions = 6
    barrier = threading.Barrier(sessions)
    results, errors = [], []

    def worker(c):
        try:
            barrier.wait(timeout=30)
            results.append(dbguard.assign_staff_from_booking(c, appt, booking({"id": 7, "email": "anna@example.com"})))
            c.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(connect(),)) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == [] and results == [clinic["anna"]] * sessions
    assert world.appointment_staff(appt) == clinic["anna"]
    assert len(world.mappings(7)) == 1 and [a["action"] for a in world.audits()] == ["auto_matched"]
