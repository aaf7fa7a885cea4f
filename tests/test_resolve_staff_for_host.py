"""dbguard.resolve_staff_for_host: cached mapping -> e-mail (95) -> full name (75), within one company."""

from __future__ import annotations

import threading

import psycopg
import pytest

import dbguard


def host(host_id=101, email=None, name=None, **extra):
    h = {"id": host_id, "username": "anna", "timeZone": "Europe/Berlin"} | extra
    if email is not None:
        h["email"] = email
    if name is not None:
        h["name"] = name
    return h


def test_email_match_maps_with_confidence_95_auto_email(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna Meier", "anna@example.com")
    world.staff(company, "Bob", "bob@example.com")

    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com", name="Someone Else")) == anna

    [m] = world.mappings(101)
    assert (m["staff_id"], m["mapping_source"], m["confidence_score"], m["company_id"], m["is_active"]) \
        == (anna, "auto_email", 95, company, True)
    assert (m["calcom_email"], m["calcom_name"], m["calcom_username"], m["calcom_timezone"]) \
        == ("anna@example.com", "Someone Else", "anna", "Europe/Berlin")
    assert m["last_synced_at"] is not None


def test_email_match_ignores_case_and_surrounding_spaces(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna", " Anna@Example.COM")
    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com  ")) == anna


def test_name_match_ignores_case_and_spaces_with_confidence_75_auto_name(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna Meier", "anna.private@example.org")

    assert dbguard.resolve_staff_for_host(conn, company, host(email="a.meier@clinic.example", name="  ANNA   meier ")) == anna

    [m] = world.mappings(101)
    assert (m["staff_id"], m["mapping_source"], m["confidence_score"]) == (anna, "auto_name", 75)


def test_email_match_wins_over_name_match(conn, world):
    company = world.company()
    by_email = world.staff(company, "Someone", "anna@example.com")
    world.staff(company, "Anna Meier", None)
    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com", name="Anna Meier")) == by_email
    assert world.mappings(101)[0]["mapping_source"] == "auto_email"


def test_no_match_returns_null_and_writes_nothing(conn, world):
    company = world.company()
    world.staff(company, "Anna Meier", "anna@example.com")

    assert dbguard.resolve_staff_for_host(conn, company, host(email="zoe@example.com", name="Zoe")) is None
    assert dbguard.resolve_staff_for_host(conn, company, {"id": 101}) is None
    assert world.mappings() == [] and world.audits() == []


def test_second_call_uses_the_cached_mapping(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna Meier", "anna@example.com")
    h = host(email="anna@example.com", name="Anna Meier")
    assert dbguard.resolve_staff_for_host(conn, company, h) == anna
    # Were it matched again, the e-mail would now point to Bob.
    conn.execute("UPDATE public.staff SET email = 'old@example.com' WHERE id = %s", (anna,))
    world.staff(company, "Bob", "anna@example.com")

    assert dbguard.resolve_staff_for_host(conn, company, h) == anna
    assert dbguard.resolve_staff_for_host(conn, company, {"id": 101}) == anna
    assert len(world.mappings()) == 1
    assert [a["action"] for a in world.audits()] == ["auto_matched"], "a cache hit writes nothing"


def test_changed_host_details_refresh_the_cached_mapping(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna Meier", "anna@example.com")
    dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com", name="Anna Meier"))

    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com", name="Anna Schulz")) == anna

    [m] = world.mappings(101)
    assert m["calcom_name"] == "Anna Schulz" and m["calcom_email"] == "anna@example.com"
    update = world.audits(m["id"])[-1]
    assert update["action"] == "updated"
    assert (update["old_values"]["calcom_name"], update["new_values"]["calcom_name"]) == ("Anna Meier", "Anna Schulz")
    assert update["reason"] == "host details changed at the calendar provider"


def test_inactive_staff_never_matches(conn, world):
    company = world.company()
    world.staff(company, "Anna Meier", "anna@example.com", is_active=False)
    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com", name="Anna Meier")) is None
    assert world.mappings() == []


@pytest.mark.parametrize("change", ["UPDATE public.staff SET is_active = false WHERE id = %(s)s",
                                    "UPDATE public.staff SET company_id = %(other)s WHERE id = %(s)s"])
def test_mapping_to_staff_gone_inactive_or_moved_is_not_used_and_alerted(conn, world, change):
    company, other = world.company("A"), world.company("B")
    anna = world.staff(company, "Anna", "anna@example.com")
    stale = world.mapping(anna, 101, company)
    bob = world.staff(company, "Bob", "bob@example.com")
    conn.execute(change, {"s": anna, "other": other})

    assert dbguard.resolve_staff_for_host(conn, company, {"id": 101}) is None
    assert dbguard.resolve_staff_for_host(conn, company, host(email="bob@example.com")) == bob

    alerts = world.alerts("stale_host_mapping")
    assert alerts and {a["entity_id"] for a in alerts} == {str(stale)}
    assert alerts[0]["details"]["staff_id"] == str(anna) and alerts[0]["severity"] == "warning"
    assert dbguard.resolve_staff_for_host(conn, company, {"id": 101}) == bob
    assert len(world.alerts("stale_host_mapping")) == len(alerts), "a working mapping is used without alerting"


def test_two_companies_with_the_same_email_resolve_within_their_own_company(conn, world):
    a, b = world.company("A"), world.company("B")
    anna_a = world.staff(a, "Anna Meier", "anna@example.com")
    anna_b = world.staff(b, "Anna Meier", "anna@example.com")
    h = host(email="anna@example.com", name="Anna Meier")

    assert dbguard.resolve_staff_for_host(conn, a, h) == anna_a
    assert dbguard.resolve_staff_for_host(conn, b, h) == anna_b
    assert dbguard.resolve_staff_for_host(conn, a, h) == anna_a
    assert {(m["company_id"], m["staff_id"]) for m in world.mappings(101)} == {(a, anna_a), (b, anna_b)}
    c = world.company("C")
    assert dbguard.resolve_staff_for_host(conn, c, h) is None, "no company sees another company's staff"


def test_branch_narrows_matching_to_its_staff_and_company_wide_staff(conn, world):
    company = world.company()
    north, south = world.branch(company, "North"), world.branch(company, "South")
    anna_north = world.staff(company, "Anna Meier", None, branch_id=north)
    everywhere = world.staff(company, "Bob Roaming", None, branch_id=None)

    assert dbguard.resolve_staff_for_host(conn, company, host(1, name="Anna Meier"), branch_id=south) is None
    assert dbguard.resolve_staff_for_host(conn, company, host(1, name="Anna Meier"), branch_id=north) == anna_north
    assert dbguard.resolve_staff_for_host(conn, company, host(2, name="Bob Roaming"), branch_id=south) == everywhere
    assert dbguard.resolve_staff_for_host(conn, company, host(1), branch_id=south) == anna_north, \
        "a cached mapping is about the person and holds for every branch"


def test_ambiguous_match_is_not_guessed_and_alerted(conn, world):
    company = world.company()
    world.staff(company, "Anna Meier", "front@example.com")
    world.staff(company, "Anna Meier", "front@example.com")

    assert dbguard.resolve_staff_for_host(conn, company, host(email="front@example.com", name="Anna Meier")) is None
    assert world.mappings() == []
    [alert] = world.alerts("ambiguous_host_match")
    assert alert["entity_id"] == "101"
    assert alert["details"]["candidates"] == {"auto_email": 2, "auto_name": 2}


def test_a_deactivated_pair_is_not_matched_again(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna", "anna@example.com")
    world.mapping(anna, 101, company, is_active=False)
    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com")) is None
    assert len(world.mappings(101)) == 1


def test_hand_made_mapping_beats_an_automatic_one(conn, world):
    company = world.company()
    anna, bob = world.staff(company, "Anna", "anna@example.com"), world.staff(company, "Bob", "bob@example.com")
    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com")) == anna
    world.mapping(bob, 101, company, mapping_source="admin", confidence_score=90)
    assert dbguard.resolve_staff_for_host(conn, company, host(email="anna@example.com")) == bob


def test_callable_from_plain_sql_with_a_string_id(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna", "anna@example.com")
    got = conn.execute("SELECT dbguard.resolve_staff_for_host(%s, NULL, %s::jsonb)",
                       (company, '{"id": "42", "email": "anna@example.com"}')).fetchone()[0]
    assert got == anna and world.mappings(42)[0]["staff_id"] == anna


def test_null_host_resolves_to_null(conn, world):
    company = world.company()
    assert conn.execute("SELECT dbguard.resolve_staff_for_host(%s, NULL, NULL)", (company,)).fetchone()[0] is None


def test_null_company_is_a_clear_error(conn):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="needs a company_id"):
        dbguard.resolve_staff_for_host(conn, None, {"id": 1})


@pytest.mark.parametrize("bad, message", [
    ([{"id": 1}], "must be a JSON object, got array"),
    ("\"anna\"", "must be a JSON object, got string"),
    (7, "must be a JSON object, got number"),
    ("null", "must be a JSON object, got null"),
    ({}, 'must be a positive integer, got no "id" key'),
    ({"id": None}, '"id" must be a positive integer, got null'),
    ({"id": "abc"}, '"id" must be a positive integer, got "abc"'),
    ({"id": 1.5}, '"id" must be a positive integer, got 1.5'),
    ({"id": True}, '"id" must be a positive integer, got true'),
    ({"id": -3}, '"id" must be a positive integer'),
    ({"id": 99999999999}, '"id" must be a positive integer'),
    ({"id": "9999999999"}, '"id" must be a positive integer'),
    ({"id": 1, "email": 5}, 'host "email" must be a string, got number'),
    ({"id": 1, "name": ["Anna"]}, 'host "name" must be a string, got array'),
    ({"id": 1, "timeZone": {"tz": "UTC"}}, 'host "timeZone" must be a string, got object'),
])
def test_malformed_host_is_a_clear_error(conn, world, bad, message):
    company = world.company()
    with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
        dbguard.resolve_staff_for_host(conn, company, bad)
    assert message in err.value.diag.message_primary
    assert '"id": 123' in err.value.diag.message_hint


def test_malformed_host_error_names_the_keys_but_not_the_values(conn, world):
    company = world.company()
    with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
        dbguard.resolve_staff_for_host(conn, company, {"email": "zoe.secret@mail.example", "name": "Zoe"})
    assert err.value.diag.message_detail == "host keys: email, name"
    assert "zoe.secret" not in str(err.value)


def test_text_that_is_not_json_is_refused_by_postgresql(conn, world):
    company = world.company()
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        dbguard.resolve_staff_for_host(conn, company, "{id: 1")


def test_null_keys_and_blank_strings_count_as_absent(conn, world):
    company = world.company()
    anna = world.staff(company, "Anna Meier", None)
    assert dbguard.resolve_staff_for_host(
        conn, company, {"id": 5, "email": "  ", "name": "Anna Meier", "username": None, "timeZone": None}) == anna
    assert world.mappings(5)[0]["mapping_source"] == "auto_name"


def test_concurrent_resolution_of_a_new_host_creates_exactly_one_mapping(conn, world, connect):
    company = world.company()
    hosts = {}
    for i in range(5):
        hosts[1000 + i] = world.staff(company, f"Staff {i}", f"s{i}@example.com")
    conn.commit()
    sessions, rounds = 8, list(hosts)
    barrier = threading.Barrier(sessions)
    results: list[tuple[int, object]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    conns = [connect() for _ in range(sessions)]

    def worker(c):
        try:
            for host_id in rounds:
                barrier.wait(timeout=30)
                staff = dbguard.resolve_staff_for_host(c, company, {"id": host_id, "email": f"s{host_id - 1000}@example.com"})
                c.commit()
                with lock:
                    results.append((host_id, staff))
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(results) == sorted((h, s) for h, s in hosts.items() for _ in range(sessions))
    for host_id, staff in hosts.items():
        assert [m["staff_id"] for m in world.mappings(host_id)] == [staff]
    assert [a["action"] for a in world.audits()] == ["auto_matched"] * len(hosts)
