"""A new appointment's 'created' history row is written by a statement trigger, one
INSERT ... SELECT over the statement's new rows, instead of one INSERT per row. The rows it
stores for a multi-row INSERT are those it stores when each row is inserted by a statement of
its own (what a row trigger would see)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.types.json import Jsonb

import dbguard

from .plugins.lifecycle import events, insert, set_acting

T0 = datetime(2031, 6, 1, 9, 0, tzinfo=timezone.utc)

# Each appointment's events, ids replaced by what they must equal: the row's own lead, call and
# predecessor. Ordered by appointment, then event: the order within one appointment's history.
PROJECTED = """
    SELECT a.id AS appointment, e.event, e.old_status, e.new_status, e.old_starts_at, e.new_starts_at,
           e.actor, e.source, e.user_id, e.details - 'rescheduled_from_id' AS details,
           (e.details ->> 'rescheduled_from_id')::bigint IS NOT DISTINCT FROM a.rescheduled_from_id AS same_predecessor,
           e.lead_id IS NOT DISTINCT FROM a.lead_id AS same_lead,
           e.call_id IS NOT DISTINCT FROM a.call_id AS same_call,
           e.occurred_at = now() AS now
      FROM public.appointment_events e
      JOIN public.appointments a ON a.id = e.appointment_id
     WHERE a.id = ANY(%s)
     ORDER BY a.id, e.id
"""


def book_batch(conn: psycopg.Connection, lead: int, company: int, one_by_one: bool = False) -> list[int]:
    """A predecessor on its own, then one multi-row INSERT ... SELECT of varied rows, one of them
    its successor (``one_by_one``: the same rows, one INSERT each). Returns the appointment ids,
    predecessor first."""
    predecessor = insert(conn, "appointments", company_id=company, lead_id=lead, starts_at=T0,
                         ends_at=T0 + timedelta(minutes=30), status="scheduled")["id"]
    call_id = insert(conn, "calls", company_id=company, direction="inbound")["id"]
    query = """
        INSERT INTO public.appointments
               (company_id, lead_id, call_id, starts_at, ends_at, status, created_by, booking_source,
                provider, rescheduled_from_id, source)
        SELECT %(company)s, v.lead, v.call, %(t0)s + v.days * interval '1 day',
               %(t0)s + v.days * interval '1 day' + interval '30 min', v.status, v.created_by, v.booking_source,
               v.provider, v.predecessor, v.source
          FROM (VALUES (%(lead)s, NULL::bigint, 1, 'scheduled', NULL, NULL, NULL, NULL::bigint, NULL),
                       (%(lead)s, %(call)s, 2, 'confirmed', 'ai_agent', 'retell_ai', 'calcom', NULL, NULL),
                       (NULL, NULL, 3, 'scheduled', 'admin_user', NULL, 'mail me at x@example.org', NULL, 'cal.com'),
                       (%(lead)s, NULL, 4, 'scheduled', NULL, 'calcom_webhook', NULL, %(predecessor)s, NULL),
                       (%(lead)s, NULL, 5, 'cancelled', NULL, NULL, 'call +49 30 1234567', NULL, 'retell_webhook'))
               AS v (lead, call, days, status, created_by, booking_source, provider, predecessor, source)
         WHERE %(day)s::int IS NULL OR v.days = %(day)s::int
        RETURNING id
        """
    params = {"company": company, "lead": lead, "call": call_id, "predecessor": predecessor, "t0": T0}
    days = range(1, 6) if one_by_one else [None]
    rows = [r for day in days for r in conn.execute(query, {**params, "day": day}).fetchall()]
    return [predecessor] + [r[0] for r in rows]


def projected(conn: psycopg.Connection, ids: list[int]) -> list[tuple]:
    rows = conn.execute(PROJECTED, (ids,)).fetchall()
    order = {appointment: position for position, appointment in enumerate(ids)}
    return [(order[r[0]],) + tuple(r[1:]) for r in rows]


@pytest.mark.parametrize("acting", [
    {},
    {"actor": "admin_user", "source": "admin_panel", "user_id": "42", "reason": "moved by phone +49 30 7654321"},
], ids=["no settings", "all settings"])
def test_created_events_of_a_multi_row_insert_equal_those_of_one_insert_per_row(conn, make_lead, company, acting):
    # The batch writes codes outside the vocabularies ('retell_ai' as a booking source):
    # creation_metadata keeps them as written only in alert mode (correct refuses them).
    dbguard.set_mode(conn, "creation_metadata", "alert")
    lead = make_lead()
    set_acting(conn, **acting)
    ids = book_batch(conn, lead, company)
    by_statement = projected(conn, ids)

    lead = make_lead()
    by_row = projected(conn, book_batch(conn, lead, company, one_by_one=True))

    assert by_statement == by_row
    created = [r for r in by_statement if r[1] == "created"]
    assert [r[0] for r in created] == list(range(len(ids)))
    assert all(r[-4:] == (True, True, True, True) for r in by_statement)


def test_created_events_follow_the_order_the_rows_were_inserted_in(conn, make_lead, company):
    lead = make_lead()
    ids = [r[0] for r in conn.execute(
        "INSERT INTO public.appointments (company_id, lead_id, starts_at, status) "
        "SELECT %s, %s, %s::timestamptz + g * interval '1 hour', 'scheduled' FROM generate_series(1, 200) g "
        "ORDER BY g DESC RETURNING id", (company, lead, T0)).fetchall()]
    written = conn.execute("SELECT appointment_id, new_starts_at FROM public.appointment_events "
                           "WHERE appointment_id = ANY(%s) ORDER BY id", (ids,)).fetchall()
    assert [w[0] for w in written] == ids
    assert [w[1] for w in written] == [T0 + timedelta(hours=g) for g in range(200, 0, -1)]


def test_an_insert_of_no_rows_writes_no_history(conn):
    before = conn.execute("SELECT count(*) FROM public.appointment_events").fetchone()[0]
    conn.execute("INSERT INTO public.appointments (starts_at) SELECT now() WHERE false")
    assert conn.execute("SELECT count(*) FROM public.appointment_events").fetchone()[0] == before


def test_a_bad_user_id_fails_the_whole_multi_row_insert_with_its_hint(conn):
    set_acting(conn, user_id="not a number")
    with pytest.raises(psycopg.errors.lookup("23Q08")) as raised:
        conn.execute("INSERT INTO public.appointments (starts_at) SELECT now() FROM generate_series(1, 3)")
    assert "dbguard.user_id" in str(raised.value)
    assert raised.value.diag.message_hint.startswith("SET LOCAL dbguard.user_id")


def test_predecessor_and_successor_in_one_statement_each_get_their_events(conn, make_lead, company):
    # Documented order (docs/rules/appointment_history.md): the successor's chain update of its
    # predecessor is recorded while the statement runs, the statement's created events after it.
    lead = make_lead()
    first, second = [r[0] for r in conn.execute(
        """
        WITH p AS (SELECT nextval('public.appointments_id_seq') AS id)
        INSERT INTO public.appointments (id, company_id, lead_id, starts_at, status, rescheduled_from_id)
        SELECT p.id, %(company)s, %(lead)s, %(t0)s::timestamptz, 'scheduled', NULL::bigint FROM p
        UNION ALL
        SELECT nextval('public.appointments_id_seq'), %(company)s, %(lead)s, %(t0)s::timestamptz + interval '1 day',
               'scheduled', p.id FROM p
        RETURNING id
        """, {"company": company, "lead": lead, "t0": T0}).fetchall()]
    assert [(e["event"], e["new_status"]) for e in events(conn, first)] == \
        [("status_changed", "rescheduled"), ("created", "scheduled")]
    assert [(e["event"], e["old_starts_at"]) for e in events(conn, second)] == [("created", T0)]


def test_history_row_of_a_multi_row_insert_is_redacted(conn):
    set_acting(conn, reason="call back on +49 30 1234567 or x@example.org")
    ids = [r[0] for r in conn.execute(
        "INSERT INTO public.appointments (starts_at, metadata) SELECT now(), %s FROM generate_series(1, 2) "
        "RETURNING id", (Jsonb({"note": "ok"}),)).fetchall()]
    reasons = conn.execute("SELECT details ->> 'reason' FROM public.appointment_events WHERE appointment_id = ANY(%s)",
                           (ids,)).fetchall()
    assert reasons == [("call back on [phone] or [email]",)] * 2


@pytest.mark.parametrize("mode", ["off", "alert", "correct", "enforce"])
def test_a_multi_row_insert_records_one_created_event_per_row_in_every_mode_but_off(conn, set_mode, mode):
    set_mode("appointment_history", mode)
    ids = [r[0] for r in conn.execute(
        "INSERT INTO public.appointments (starts_at, status, lead_id, call_id, booking_source, created_by) "
        "SELECT %s::timestamptz + g * interval '1 day', NULL, NULL, NULL, NULL, NULL FROM generate_series(1, 4) g "
        "RETURNING id", (T0,)).fetchall()]
    created = conn.execute("SELECT count(*) FROM public.appointment_events WHERE appointment_id = ANY(%s) "
                           "AND event = 'created'", (ids,)).fetchone()[0]
    assert created == (0 if mode == "off" else len(ids))
