"""Rule bodies the application role could poison with what it writes: a
reschedule cycle from one multi-row INSERT, a chain left across leads by
moving one end, JSON nested deep enough to exhaust the stack of the PII walk,
and an id change that would orphan (or merge) an appointment's history."""

from __future__ import annotations

import pytest

import dbguard
from dbguard.errors import RuleViolation

DEEP = 1000


def _company_and_leads(conn) -> tuple[int, int, int]:
    company = conn.execute("INSERT INTO public.companies (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    lead_a, lead_b = (conn.execute("INSERT INTO public.leads (company_id, name) VALUES (%s, %s) RETURNING id",
                                   (company, name)).fetchone()[0] for name in ("A", "B"))
    conn.commit()
    return company, lead_a, lead_b


def _cycles(conn) -> list[int]:
    return [r[0] for r in conn.execute(
        """WITH RECURSIVE walk (start, id, steps) AS (
               SELECT a.id, a.rescheduled_from_id, 1 FROM public.appointments a WHERE a.rescheduled_from_id IS NOT NULL
               UNION ALL
               SELECT w.start, a.rescheduled_from_id, w.steps + 1
                 FROM walk w JOIN public.appointments a ON a.id = w.id
                WHERE a.rescheduled_from_id IS NOT NULL AND w.steps < 100)
           SELECT DISTINCT start FROM walk WHERE id = start""")]


CYCLE = ("INSERT INTO public.appointments (id, company_id, lead_id, starts_at, ends_at, rescheduled_from_id) VALUES "
         "(900001, %(c)s, %(l)s, now(), now() + interval '1 hour', 900002), "
         "(900002, %(c)s, %(l)s, now(), now() + interval '1 hour', 900001)")


def test_one_multi_row_insert_cannot_store_a_reschedule_cycle_in_enforce(conn, attacker, set_mode):
    company, lead, _ = _company_and_leads(conn)
    set_mode("reschedule_chain", "enforce")
    with pytest.raises(RuleViolation, match="does not exist"):
        attacker.execute(CYCLE, {"c": company, "l": lead})
    assert _cycles(conn) == []


def test_one_multi_row_insert_cannot_store_a_reschedule_cycle_in_correct(conn, attacker):
    company, lead, _ = _company_and_leads(conn)
    attacker.execute(CYCLE, {"c": company, "l": lead})
    assert _cycles(conn) == []
    assert conn.execute("SELECT count(*) FROM public.appointments").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts "
                        "WHERE alert_type = 'reschedule_chain_violation' AND auto_corrected").fetchone()[0] == 1


@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_a_chain_written_in_order_in_one_insert_is_kept(conn, attacker, set_mode, mode):
    company, lead, _ = _company_and_leads(conn)
    set_mode("reschedule_chain", mode)
    attacker.execute("INSERT INTO public.appointments (id, company_id, lead_id, starts_at, ends_at, rescheduled_from_id) "
                     "VALUES (900001, %(c)s, %(l)s, now(), now() + interval '1 hour', NULL), "
                     "(900002, %(c)s, %(l)s, now(), now() + interval '1 hour', 900001)", {"c": company, "l": lead})
    assert conn.execute("SELECT id, rescheduled_from_id, status FROM public.appointments ORDER BY id").fetchall() \
        == [(900001, None, "rescheduled"), (900002, 900001, "scheduled")]


def _chain(conn, attacker, company, lead) -> tuple[int, int]:
    first = attacker.execute("INSERT INTO public.appointments (company_id, lead_id, starts_at, ends_at) "
                             "VALUES (%s, %s, now(), now() + interval '1 hour') RETURNING id",
                             (company, lead)).fetchone()[0]
    second = attacker.execute("INSERT INTO public.appointments (company_id, lead_id, starts_at, ends_at, "
                              "rescheduled_from_id) VALUES (%s, %s, now() + interval '1 day', "
                              "now() + interval '1 day 1 hour', %s) RETURNING id", (company, lead, first)).fetchone()[0]
    return first, second


@pytest.mark.parametrize("end", ["successor", "predecessor"])
def test_moving_one_end_of_a_chain_to_another_lead_is_refused_in_enforce(conn, attacker, set_mode, end):
    company, lead_a, lead_b = _company_and_leads(conn)
    first, second = _chain(conn, attacker, company, lead_a)
    set_mode("reschedule_chain", "enforce")
    with pytest.raises(RuleViolation, match="cross leads"):
        attacker.execute("UPDATE public.appointments SET lead_id = %s WHERE id = %s",
                         (lead_b, second if end == "successor" else first))
    assert conn.execute("SELECT lead_id FROM public.appointments WHERE id = %s", (second,)).fetchone()[0] == lead_a


@pytest.mark.parametrize("end", ["successor", "predecessor"])
def test_moving_one_end_of_a_chain_to_another_lead_drops_the_link_in_correct(conn, attacker, end):
    company, lead_a, lead_b = _company_and_leads(conn)
    first, second = _chain(conn, attacker, company, lead_a)
    attacker.execute("UPDATE public.appointments SET lead_id = %s WHERE id = %s",
                     (lead_b, second if end == "successor" else first))
    assert conn.execute("SELECT rescheduled_from_id FROM public.appointments WHERE id = %s", (second,)
                        ).fetchone()[0] is None
    assert dbguard.check(conn, rules=["reschedule_chain_cross_lead"], record=False).total == 0


def test_a_chain_left_across_leads_in_alert_mode_is_reported_by_check(conn, attacker, set_mode):
    company, lead_a, lead_b = _company_and_leads(conn)
    first, second = _chain(conn, attacker, company, lead_a)
    set_mode("reschedule_chain", "alert")
    attacker.execute("UPDATE public.appointments SET lead_id = %s WHERE id = %s", (lead_b, second))
    assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts WHERE alert_type = "
                        "'reschedule_chain_violation' AND NOT auto_corrected").fetchone()[0] == 1
    result = dbguard.check(conn, rules=["reschedule_chain_cross_lead"], record=False)
    assert result.total == 1 and [v["entity_id"] for v in result.violations] == [second]


def test_a_chain_moved_as_a_whole_keeps_its_links(conn, attacker, set_mode):
    company, lead_a, lead_b = _company_and_leads(conn)
    first, second = _chain(conn, attacker, company, lead_a)
    set_mode("reschedule_chain", "enforce")
    attacker.execute("UPDATE public.appointments SET lead_id = %s WHERE id IN (%s, %s)", (lead_b, first, second))
    assert conn.execute("SELECT rescheduled_from_id, lead_id FROM public.appointments WHERE id = %s", (second,)
                        ).fetchone() == (first, lead_b)


def _deep_json(depth: int) -> str:
    return '{"a": ' * depth + '{"email": "anna@example.com", "phone": "+49 170 1234567"}' + "}" * depth


@pytest.mark.parametrize("mode", ["alert", "correct"])
def test_deeply_nested_json_does_not_refuse_the_write(conn, attacker, set_mode, mode):
    company, lead, _ = _company_and_leads(conn)
    set_mode("pii_redaction", mode)
    appointment = attacker.execute(
        "INSERT INTO public.appointments (company_id, starts_at, ends_at, metadata) "
        "VALUES (%s, now(), now() + interval '1 hour', %s::jsonb) RETURNING id", (company, _deep_json(DEEP))
    ).fetchone()[0]
    stored = conn.execute("SELECT metadata::text FROM public.appointments WHERE id = %s", (appointment,)).fetchone()[0]
    if mode == "correct":
        assert "anna@example.com" not in stored and "nested too deeply" in stored
    else:
        assert "anna@example.com" in stored
        assert conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts WHERE alert_type = 'pii_in_metadata'"
                            ).fetchone()[0] == 1


def test_redaction_below_the_depth_limit_is_unchanged(conn):
    shallow = conn.execute("SELECT dbguard.redact_pii(%s::jsonb)::text", (_deep_json(50),)).fetchone()[0]
    assert "[email]" in shallow and "[phone]" in shallow and "nested too deeply" not in shallow


@pytest.mark.parametrize("mode", ["correct", "enforce"])
def test_an_appointment_id_cannot_change_under_its_history(conn, attacker, set_mode, mode):
    company, lead, _ = _company_and_leads(conn)
    set_mode("appointment_history", mode)
    appointment = attacker.execute("INSERT INTO public.appointments (company_id, starts_at, ends_at) "
                                   "VALUES (%s, now(), now() + interval '1 hour') RETURNING id", (company,)).fetchone()[0]
    with pytest.raises(RuleViolation, match="id cannot change") as refused:
        attacker.execute("UPDATE public.appointments SET id = 777777, status = 'cancelled' WHERE id = %s",
                         (appointment,))
    assert refused.value.diag.column_name == "id"
    assert conn.execute("SELECT array_agg(DISTINCT appointment_id) FROM public.appointment_events").fetchone()[0] \
        == [appointment]


def test_an_id_change_in_alert_mode_is_alerted(conn, attacker, set_mode):
    company, lead, _ = _company_and_leads(conn)
    set_mode("appointment_history", "alert")
    appointment = attacker.execute("INSERT INTO public.appointments (company_id, starts_at, ends_at) "
                                   "VALUES (%s, now(), now() + interval '1 hour') RETURNING id", (company,)).fetchone()[0]
    attacker.execute("UPDATE public.appointments SET id = 777777 WHERE id = %s", (appointment,))
    assert conn.execute("SELECT entity_id FROM dbguard.data_consistency_alerts WHERE alert_type = "
                        "'appointment_id_changed'").fetchone()[0] == str(appointment)
