"""Realistic sample data with known inconsistencies, for ``dbguard demo``.

Two clinics (companies) book through a phone AI agent and a calendar provider.
Most data is written through the rules, as today's applications would; the
"legacy" part is written with the rules bypassed (``session_replication_role =
replica``), as it was before dbguard was installed, and carries the kinds of
inconsistency dbguard finds. The numbers are fixed so that the demo's
before/after can be checked:

- 23 calls with booking_confirmed = true, 9 of them without an appointment (39 %);
  6 of those 9 still have the booking in calls.booking_details (a backfill
  recreates them), 3 have nothing (their flags are rolled back, for review);
- phantom bookings, calls without a direction, an orphaned appointment,
  appointments without lifecycle metadata, a drifted lead rollup, an unassigned
  host, cross-tenant staff, PII in a provider payload.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import psycopg

EXPECTED = {
    "confirmed_calls": 23,
    "confirmed_without_appointment": 9,
    "recoverable_from_booking_details": 6,
    "phantom_bookings": 3,
    "calls_missing_direction": 4,
    "orphaned_appointments": 1,
    "appointments_missing_metadata": 8,
    "drifted_lead_rollups": 2,
    "unassigned_staff": 1,
    "cross_tenant_staff": 1,
    "pii_in_metadata": 1,
}

NAMES = ["Anna Berger", "Ben Schulz", "Clara Wolf", "David Klein", "Eva Braun", "Felix Hahn", "Greta Vogel",
         "Hugo Frank", "Ida Lang", "Jonas Roth", "Karla Weiss", "Lukas Jung", "Mia Koch", "Noah Schmid",
         "Olga Krause", "Paul Meier", "Quinn Lorenz", "Rosa Kaiser", "Sven Fuchs", "Tina Peters",
         "Uwe Keller", "Vera Lehmann", "Willi Haas", "Xenia Arnold", "Yusuf Kraft", "Zoe Otto"]


def _id(conn: psycopg.Connection, query: str, params=()) -> object:
    return conn.execute(query, params).fetchone()[0]


def load_sample_data(conn: psycopg.Connection, *, now: datetime | None = None) -> dict:
    """Write the sample data into an empty dbguard database; returns what was written.

    Needs a superuser (or the session_replication_role privilege) for the legacy part.
    """
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    day = timedelta(days=1)
    with conn.transaction():
        acme = _id(conn, "INSERT INTO public.companies (name) VALUES ('Praxis am Park') RETURNING id")
        other = _id(conn, "INSERT INTO public.companies (name) VALUES ('Zahnklinik Nord') RETURNING id")
        branch = _id(conn, "INSERT INTO public.branches (company_id, name) VALUES (%s, 'Mitte') RETURNING id", (acme,))
        staff = [_id(conn, "INSERT INTO public.staff (company_id, branch_id, name, email) VALUES (%s, %s, %s, %s) "
                           "RETURNING id", (acme, branch, n, e))
                 for n, e in [("Dr. Lena Hoffmann", "lena@praxis.example"), ("Dr. Omar Aziz", "omar@praxis.example")]]
        foreign_staff = _id(conn, "INSERT INTO public.staff (company_id, name, email) VALUES (%s, 'Dr. Nord', "
                                  "'nord@klinik.example') RETURNING id", (other,))
        service = _id(conn, "INSERT INTO public.services (company_id, branch_id, name, duration_minutes) "
                            "VALUES (%s, %s, 'Erstberatung', 30) RETURNING id", (acme, branch))
        customers, leads = [], []
        for i, name in enumerate(NAMES):
            email = name.lower().replace(" ", ".") + "@mail.example"
            phone = f"+49 30 5550{i:03d}"
            cust = _id(conn, "INSERT INTO public.customers (company_id, name, email, phone) VALUES (%s, %s, %s, %s) "
                             "RETURNING id", (acme, name, email, phone))
            customers.append(cust)
            leads.append(_id(conn, "INSERT INTO public.leads (company_id, customer_id, name, email, phone) "
                                   "VALUES (%s, %s, %s, %s, %s) RETURNING id", (acme, cust, name, email, phone)))

        # Today's traffic, through the rules: 14 confirmed calls with their appointment.
        conn.execute("SELECT set_config('dbguard.actor', 'retell_ai', true), "
                     "set_config('dbguard.source', 'retell_phone', true)")
        for i in range(14):
            call = _id(conn, "INSERT INTO public.calls (company_id, branch_id, customer_id, retell_call_id, direction) "
                             "VALUES (%s, %s, %s, %s, 'inbound') RETURNING id",
                       (acme, branch, customers[i], f"call_ok_{i:02d}"))
            starts = now + (i % 10 + 1) * day
            conn.execute("INSERT INTO public.appointments (company_id, branch_id, customer_id, lead_id, service_id, "
                         "staff_id, call_id, starts_at, ends_at, status, source, provider, calcom_v2_booking_id) "
                         "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'scheduled', 'retell_webhook', 'calcom', %s)",
                         (acme, branch, customers[i], leads[i], service, staff[i % 2], call, starts,
                          starts + timedelta(minutes=30), f"bk_ok_{i:02d}"))
            conn.execute("UPDATE public.calls SET booking_confirmed = true, appointment_made = true, "
                         "session_outcome = 'appointment_booked', booking_id = %s WHERE id = %s",
                         (f"bk_ok_{i:02d}", call))

    # Legacy rows, written the way the old code paths did, before dbguard.
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for i in range(9):
            details = None
            if i < EXPECTED["recoverable_from_booking_details"]:
                starts = now + (i + 2) * day
                details = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(minutes=30)).isoformat(),
                           "timezone": "Europe/Berlin", "service_name": "Erstberatung",
                           "customer_name": NAMES[14 + i], "customer_email": NAMES[14 + i].lower().replace(" ", ".")
                           + "@mail.example", "calcom_booking_id": f"bk_lost_{i}"}
                if i % 2:
                    details = {"booking": details}
            conn.execute("INSERT INTO public.calls (company_id, branch_id, customer_id, retell_call_id, direction, "
                         "booking_confirmed, appointment_made, session_outcome, booking_id, booking_details, "
                         "appointment_link_status) VALUES (%s, %s, %s, %s, 'inbound', true, true, "
                         "'appointment_booked', %s, %s, 'unlinked')",
                         (acme, branch, customers[14 + i], f"call_lost_{i}", f"bk_lost_{i}",
                          json.dumps(details) if details else None))
        # Phantom bookings: the outcome says booked, the flag says no.
        for i in range(EXPECTED["phantom_bookings"]):
            conn.execute("INSERT INTO public.calls (company_id, retell_call_id, direction, session_outcome, "
                         "appointment_made) VALUES (%s, %s, 'inbound', 'appointment_booked', false)",
                         (acme, f"call_phantom_{i}"))
        for i in range(EXPECTED["calls_missing_direction"]):
            conn.execute("INSERT INTO public.calls (company_id, retell_call_id, session_outcome) "
                         "VALUES (%s, %s, 'information_only')", (acme, f"call_nodir_{i}"))
        # An appointment whose call was never linked, though the call carries its booking id.
        conn.execute("INSERT INTO public.calls (company_id, retell_call_id, direction, booking_id, session_outcome) "
                     "VALUES (%s, 'call_orphan', 'inbound', 'bk_orphan', 'information_only')", (acme,))
        conn.execute("INSERT INTO public.appointments (company_id, customer_id, lead_id, starts_at, ends_at, status, "
                     "source, provider, calcom_v2_booking_id, created_by, booking_source) VALUES "
                     "(%s, %s, %s, %s, %s, 'scheduled', 'cal.com', 'calcom', 'bk_orphan', 'cal.com_webhook', "
                     "'cal.com_direct')", (acme, customers[23], leads[23], now + 3 * day, now + 3 * day + timedelta(minutes=30)))
        # Appointments from old code paths: no lifecycle metadata at all.
        for i in range(EXPECTED["appointments_missing_metadata"]):
            status = "cancelled" if i % 4 == 0 else "scheduled"
            conn.execute("INSERT INTO public.appointments (company_id, customer_id, lead_id, starts_at, ends_at, "
                         "status, source, provider) VALUES (%s, %s, %s, %s, %s, %s, %s, 'calcom')",
                         (acme, customers[24 + i % 2], leads[24 + i % 2], now - (i + 1) * day,
                          now - (i + 1) * day + timedelta(minutes=30), status,
                          "retell_webhook" if i % 2 else "cal.com"))
        # Lead rollups that drifted from the appointments they summarise.
        conn.execute("UPDATE public.leads SET appointment_status = 'cancelled', appointment_start_at = %s "
                     "WHERE id = ANY(%s)", (now - 30 * day, leads[:EXPECTED["drifted_lead_rollups"]]))
        # A host the calendar sent back, not yet mapped to staff.
        conn.execute("INSERT INTO public.appointments (company_id, customer_id, lead_id, starts_at, ends_at, status, "
                     "source, provider, calcom_host_id, created_by, booking_source) VALUES (%s, %s, %s, %s, %s, "
                     "'scheduled', 'cal.com', 'calcom', 4711, 'cal.com_webhook', 'cal.com_direct')",
                     (acme, customers[22], leads[22], now + 5 * day, now + 5 * day + timedelta(minutes=30)))
        # Staff of the other company on this company's appointment.
        conn.execute("INSERT INTO public.appointments (company_id, customer_id, lead_id, staff_id, starts_at, ends_at, "
                     "status, source, provider, created_by, booking_source) VALUES (%s, %s, %s, %s, %s, %s, "
                     "'scheduled', 'manual_admin', 'manual', 'admin_user', 'manual_admin')",
                     (acme, customers[21], leads[21], foreign_staff, now + 6 * day, now + 6 * day + timedelta(minutes=30)))
        # A raw provider payload with the customer's e-mail and phone in it.
        conn.execute("INSERT INTO public.appointments (company_id, customer_id, lead_id, starts_at, ends_at, status, "
                     "source, provider, created_by, booking_source, metadata) VALUES (%s, %s, %s, %s, %s, "
                     "'scheduled', 'cal.com', 'calcom', 'cal.com_webhook', 'cal.com_direct', %s)",
                     (acme, customers[20], leads[20], now + 7 * day, now + 7 * day + timedelta(minutes=30),
                      json.dumps({"attendees": [{"name": NAMES[20], "email": "vera.lehmann@mail.example",
                                                 "phone": "+49 30 5550020"}], "event": "BOOKING_CREATED"})))
    return dict(EXPECTED)
