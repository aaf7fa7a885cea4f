"""Legacy data with one row per kind of inconsistency, written with every
trigger bypassed (session_replication_role = replica), as an old application
or a bulk import would have left it."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

DOMAIN_TABLES = ("companies", "staff", "calls", "appointments", "leads", "calcom_host_mappings", "customers")


def insert(conn: psycopg.Connection, table: str, **values) -> int:
    cols = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    return conn.execute(f"INSERT INTO public.{table} ({cols}) VALUES ({marks}) RETURNING id",
                        list(values.values())).fetchone()[0]


def call(conn, company, **values) -> int:
    base = {"company_id": company, "direction": "inbound", "session_outcome": "no_appointment"}
    return insert(conn, "calls", **{**base, **values})


def appointment(conn, company, **values) -> int:
    base = {"company_id": company, "starts_at": "2030-01-01 10:00+00", "ends_at": "2030-01-01 11:00+00",
            "status": "scheduled", "source": "manual_admin", "booking_source": "manual_admin",
            "created_by": "admin_user"}
    return insert(conn, "appointments", **{**base, **values})


@dataclass
class Legacy:
    ids: dict[str, int] = field(default_factory=dict)
    expected: set[tuple[str, int]] = field(default_factory=set)
    # offenders that have no automatic repair (or are left for a backfill)
    manual: set[tuple[str, int]] = field(default_factory=set)


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM public.{t}").fetchone()[0] for t in DOMAIN_TABLES}


def inject(conn: psycopg.Connection) -> Legacy:
    """One offender per detection rule (plus clean rows around them); commits."""
    from psycopg.types.json import Jsonb

    conn.execute("SET session_replication_role = replica")
    d = Legacy()
    c1 = insert(conn, "companies", name="Praxis Eins")
    c2 = insert(conn, "companies", name="Praxis Zwei")
    s1 = conn.execute("INSERT INTO public.staff (company_id, name, email) VALUES (%s, 'Ann', 'ann@one.test') "
                      "RETURNING id", (c1,)).fetchone()[0]
    s2 = conn.execute("INSERT INTO public.staff (company_id, name, email) VALUES (%s, 'Bob', 'bob@two.test') "
                      "RETURNING id", (c2,)).fetchone()[0]
    insert(conn, "calcom_host_mappings", staff_id=s1, calcom_host_id=500, mapping_source="auto_email",
           confidence_score=95, is_active=True)

    # Clean rows: a booked call with its appointment, an unbooked call.
    ok_call = call(conn, c1, session_outcome="appointment_booked", appointment_made=True, booking_confirmed=True,
                   appointment_link_status="linked")
    ok_appt = appointment(conn, c1, call_id=ok_call, staff_id=s1, calcom_host_id=500)
    conn.execute("UPDATE public.calls SET appointment_id = %s WHERE id = %s", (ok_appt, ok_call))
    call(conn, c1)

    def offender(rule, key, entity_id, manual=False):
        d.ids[key] = entity_id
        d.expected.add((rule, entity_id))
        if manual:
            d.manual.add((rule, entity_id))

    offender("phantom_booking", "phantom", call(conn, c1, session_outcome="appointment_booked"))
    phantom_with = call(conn, c1, session_outcome="appointment_booked", appointment_link_status="linked")
    appt = appointment(conn, c1, call_id=phantom_with)
    conn.execute("UPDATE public.calls SET appointment_id = %s WHERE id = %s", (appt, phantom_with))
    offender("phantom_booking", "phantom_with_appointment", phantom_with)
    offender("made_without_appointment", "made",
             call(conn, c1, session_outcome="appointment_booked", appointment_made=True))
    offender("confirmed_without_appointment", "confirmed", call(conn, c1, booking_confirmed=True))
    backfill = call(conn, c2, session_outcome="appointment_booked", appointment_made=True, booking_confirmed=True,
                    booking_details=Jsonb({"starts_at": "2030-02-01T10:00:00Z", "service_name": "Check-up"}))
    offender("made_without_appointment", "backfill", backfill, manual=True)
    offender("confirmed_without_appointment", "backfill", backfill, manual=True)
    offender("call_missing_direction", "no_direction", call(conn, c1, direction=None))
    offender("link_status_mismatch", "linked_without", call(conn, c1, appointment_link_status="linked"))
    orphan_call = call(conn, c2, booking_id="bk-orphan-1")
    d.ids["orphan_call"] = orphan_call
    offender("orphaned_appointment", "orphan", appointment(conn, c2, calcom_v2_booking_id="bk-orphan-1"))
    offender("missing_lifecycle_metadata", "no_metadata", appointment(conn, c1, created_by=None), manual=True)
    offender("unassigned_staff", "unassigned", appointment(conn, c1, calcom_host_id=500))
    offender("cross_tenant_staff", "cross_tenant", appointment(conn, c1, staff_id=s2), manual=True)
    offender("pii_in_metadata", "pii", appointment(
        conn, c1, metadata=Jsonb({"note": "call +49 170 1234567 or mail jane.doe@example.com", "n": 12345678})))
    lead = insert(conn, "leads", company_id=c1, name="Lead")
    appointment(conn, c1, lead_id=lead, starts_at="2031-03-01 09:00+00", ends_at="2031-03-01 09:30+00")
    offender("lead_rollup_drift", "lead", lead)
    conn.commit()
    conn.execute("RESET session_replication_role")
    conn.commit()
    return d
