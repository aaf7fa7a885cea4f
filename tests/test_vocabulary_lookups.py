"""dbguard.in_vocabulary(), dbguard.code_is_active() and
dbguard.mapped_booking_source() look codes up in dbguard.vocabularies and
dbguard.source_mappings; creation_metadata and outcome_flag_sync check codes through them.
These tests prove that the functions say what the tables say, that a change reaches every
session at once whichever way it is written, rollbacks, concurrent changes, any isolation
level, hostile codes and a hostile search_path."""

from __future__ import annotations

import psycopg
import pytest

from dbguard.errors import VocabularyViolation

from .plugins.calls import call, new_call, update


def booking_source_of_a_new_appointment(conn: psycopg.Connection, **cols: str) -> str:
    names = ", ".join(["starts_at"] + list(cols))
    marks = ", ".join(["now() + interval '1 day'"] + ["%s"] * len(cols))
    return conn.execute(f"INSERT INTO public.appointments ({names}) VALUES ({marks}) RETURNING booking_source",
                        list(cols.values())).fetchone()[0]


def accepted(conn: psycopg.Connection, **cols: str) -> bool:
    """Whether creation_metadata (correct mode) accepts the booking source: an unknown code is refused."""
    try:
        with conn.transaction():
            booking_source_of_a_new_appointment(conn, **cols)
    except VocabularyViolation:
        return False
    return True


def test_in_vocabulary_says_what_the_table_says_for_every_code(conn):
    rows = conn.execute("SELECT vocabulary, code FROM dbguard.vocabularies").fetchall()
    vocabularies = sorted({v for v, _ in rows})
    assert len(rows) > 50
    codes = sorted({c for _, c in rows}) + ["", "nonsense", "Retell_AI", "retell_ai "]
    disagreements = conn.execute(
        "SELECT v, c FROM unnest(%s::text[]) v, unnest(%s::text[]) c "
        "WHERE dbguard.in_vocabulary(v, c) IS DISTINCT FROM "
        "      EXISTS (SELECT 1 FROM dbguard.vocabularies x WHERE x.vocabulary = v AND x.code = c)",
        (vocabularies + ["no_such_vocabulary"], codes)).fetchall()
    assert disagreements == []
    assert conn.execute("SELECT dbguard.in_vocabulary('actor', NULL), dbguard.in_vocabulary('nope', NULL)"
                        ).fetchone() == (True, True)


def test_code_is_active_says_what_the_table_says_for_every_code(conn):
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code, is_active) VALUES "
                 "('appointment_status', 'tentative', NULL), ('appointment_status', 'on_hold', false), "
                 "('provider', 'acuity', true)")
    rows = conn.execute("SELECT vocabulary, code, is_active FROM dbguard.vocabularies").fetchall()
    assert {a for _, _, a in rows} == {True, False, None}
    got = conn.execute("SELECT v, c, dbguard.code_is_active(v, c) FROM dbguard.vocabularies x(v, c)").fetchall()
    assert sorted(got, key=str) == sorted(rows, key=str)
    assert conn.execute("SELECT dbguard.code_is_active('appointment_status', 'nonsense'), "
                        "dbguard.code_is_active('no_such_vocabulary', 'scheduled'), "
                        "dbguard.code_is_active('appointment_status', NULL)").fetchone() == (None, None, None)


def test_a_status_made_inactive_stops_counting_as_an_upcoming_primary(conn):
    conn.execute("SET CONSTRAINTS dbguard_701_lead_rollup_at_commit IMMEDIATE")   # the rollup runs at commit
    lead = conn.execute("INSERT INTO public.leads (name) VALUES ('L') RETURNING id").fetchone()[0]
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code, is_active) VALUES ('appointment_status', 'held', true)")
    held = conn.execute("INSERT INTO public.appointments (lead_id, status, starts_at) "
                        "VALUES (%s, 'held', now() + interval '2 days') RETURNING id", (lead,)).fetchone()[0]
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == held
    conn.execute("UPDATE dbguard.vocabularies SET is_active = false WHERE vocabulary = 'appointment_status' AND code = 'held'")
    # A later scheduled appointment now outranks the (no longer active) held one.
    later = conn.execute("INSERT INTO public.appointments (lead_id, status, starts_at) "
                         "VALUES (%s, 'scheduled', now() + interval '5 days') RETURNING id", (lead,)).fetchone()[0]
    assert conn.execute("SELECT appointment_id FROM public.leads WHERE id = %s", (lead,)).fetchone()[0] == later


def test_mapped_booking_source_says_what_the_table_says(conn):
    rows = conn.execute("SELECT source, booking_source FROM dbguard.source_mappings").fetchall()
    assert len(rows) > 10
    got = conn.execute("SELECT s, dbguard.mapped_booking_source(s) FROM unnest(%s::text[]) s",
                       ([s for s, _ in rows],)).fetchall()
    assert dict(got) == dict(rows)
    assert conn.execute("SELECT dbguard.mapped_booking_source('no such source'), dbguard.mapped_booking_source(NULL)"
                        ).fetchone() == (None, None)


def test_a_code_added_by_the_dba_reaches_a_session_whose_plans_are_cached(conn, connect):
    other = connect(autocommit=True)
    assert not accepted(other, booking_source="kiosk")   # plans now cached
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', 'kiosk')")
    conn.commit()
    assert booking_source_of_a_new_appointment(other, booking_source="kiosk") == "kiosk"


def test_a_deleted_code_is_refused_at_once(conn, connect):
    other = connect(autocommit=True)
    assert booking_source_of_a_new_appointment(other, booking_source="widget_embed") == "widget_embed"
    # the mapping that names the code goes first (source_mappings' foreign keys)
    conn.execute("DELETE FROM dbguard.source_mappings WHERE booking_source = 'widget_embed'")
    conn.execute("DELETE FROM dbguard.vocabularies WHERE vocabulary = 'booking_source' AND code = 'widget_embed'")
    conn.commit()
    assert not accepted(other, booking_source="widget_embed")


def test_a_changed_source_mapping_takes_effect_at_once(conn, connect):
    other = connect(autocommit=True)
    assert booking_source_of_a_new_appointment(other, source="cal.com") == "cal.com_direct"
    conn.execute("UPDATE dbguard.source_mappings SET booking_source = 'cal.com_webhook' WHERE source = 'cal.com'")
    conn.commit()
    assert booking_source_of_a_new_appointment(other, source="cal.com") == "cal.com_webhook"
    conn.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) "
                 "VALUES ('front_desk', 'manual_staff', 'staff_user')")
    conn.commit()
    assert booking_source_of_a_new_appointment(other, source="front_desk") == "manual_staff"


@pytest.mark.parametrize("column, code", [("booking_source", "front_desk"), ("created_by", "receptionist")])
def test_a_source_mapping_names_only_codes_of_its_vocabularies(conn, column, code):
    values = {"booking_source": "manual_staff", "created_by": "staff_user", column: code}
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
        conn.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) VALUES ('desk', %s, %s)",
                     (values["booking_source"], values["created_by"]))
    assert err.value.diag.constraint_name == f"source_mappings_{column}_fk"
    assert code in err.value.diag.message_detail


@pytest.mark.parametrize("statement", [
    "DELETE FROM dbguard.vocabularies WHERE vocabulary = 'booking_source' AND code = 'widget_embed'",
    "UPDATE dbguard.vocabularies SET code = 'widget' WHERE vocabulary = 'booking_source' AND code = 'widget_embed'",
    "DELETE FROM dbguard.vocabularies WHERE vocabulary = 'actor' AND code = 'staff_user'",
])
def test_a_code_a_source_mapping_names_stays_until_the_mapping_goes(conn, statement):
    conn.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) "
                 "VALUES ('front_desk', 'manual_staff', 'staff_user')")
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as err:
        with conn.transaction():
            conn.execute(statement)
    assert "source_mappings" in err.value.diag.message_primary
    conn.execute("DELETE FROM dbguard.source_mappings WHERE booking_source = 'widget_embed' OR created_by = 'staff_user'")
    assert conn.execute(statement).rowcount == 1


def test_a_mapped_source_and_a_written_code_outside_the_vocabulary_are_still_told_apart(conn):
    # the mapped pair is taken as it is; a written code that differs is looked up
    assert booking_source_of_a_new_appointment(conn, source="cal.com") == "cal.com_direct"
    assert not accepted(conn, source="cal.com", booking_source="cal.com_directly")
    assert not accepted(conn, source="retell_webhook", created_by="retell")


def test_an_empty_mapping_table_maps_nothing(conn):
    conn.execute("DELETE FROM dbguard.source_mappings")
    assert conn.execute("SELECT dbguard.mapped_booking_source('cal.com')").fetchone()[0] is None
    assert booking_source_of_a_new_appointment(conn, source="cal.com") == "unknown"
    conn.execute("TRUNCATE dbguard.source_mappings")
    assert booking_source_of_a_new_appointment(conn, source="retell_webhook") == "unknown"


def test_a_change_applies_to_its_own_transaction_and_a_rollback_restores_it(conn, connect):
    other = connect(autocommit=True)
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('session_outcome', 'left_message')")
    assert conn.execute("SELECT dbguard.in_vocabulary('session_outcome', 'left_message')").fetchone()[0] is True
    assert other.execute("SELECT dbguard.in_vocabulary('session_outcome', 'left_message')").fetchone()[0] is False
    conn.rollback()
    assert conn.execute("SELECT dbguard.in_vocabulary('session_outcome', 'left_message')").fetchone()[0] is False


def test_outcome_flag_sync_checks_the_outcome_through_the_vocabulary(conn):
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('session_outcome', 'left_message')")
    kept = new_call(conn, session_outcome="left_message")
    assert call(conn, kept)["session_outcome"] == "left_message"
    unknown = new_call(conn)
    with pytest.raises(VocabularyViolation):                     # an unknown outcome is refused
        update(conn, "calls", unknown, session_outcome="sang_a_song")


def test_concurrent_changes_of_both_tables_both_take_effect(conn, connect):
    first, second, watcher = connect(), connect(), connect(autocommit=True)
    first.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('actor', 'front_desk')")
    second.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) "
                   "VALUES ('kiosk', 'widget_embed', 'unknown')")
    second.commit()
    first.commit()
    assert watcher.execute("SELECT dbguard.in_vocabulary('actor', 'front_desk'), dbguard.mapped_booking_source('kiosk')"
                           ).fetchone() == (True, "widget_embed")


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_code_added_in_any_isolation_level_counts_in_its_own_transaction(conn, isolation):
    conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
    assert not accepted(conn, booking_source="front_desk")
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', 'front_desk')")
    assert accepted(conn, booking_source="front_desk")


def test_a_code_with_quotes_is_only_data(conn):
    hostile = "it's'); DROP TABLE public.calls; --$body$ $$ %s %L"
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', %s)", (hostile,))
    conn.execute("INSERT INTO dbguard.source_mappings (source, booking_source, created_by) VALUES (%s, %s, 'unknown')",
                 (hostile + "\\", hostile))
    assert conn.execute("SELECT dbguard.in_vocabulary('booking_source', %s), dbguard.mapped_booking_source(%s)",
                        (hostile, hostile + "\\")).fetchone() == (True, hostile)
    assert booking_source_of_a_new_appointment(conn, source=hostile + "\\") == hostile
    assert conn.execute("SELECT to_regclass('public.calls')").fetchone()[0] is not None


def test_a_shadowing_operator_on_the_search_path_cannot_change_a_lookup(conn):
    conn.execute("CREATE SCHEMA evil")
    conn.execute("CREATE FUNCTION evil.always(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$")
    conn.execute("CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always)")
    conn.execute("SET search_path = evil, pg_catalog, public")
    assert conn.execute("SELECT dbguard.in_vocabulary('actor', 'nobody'), dbguard.mapped_booking_source('nothing')"
                        ).fetchone() == (False, None)
    assert not accepted(conn, booking_source="made_up")
