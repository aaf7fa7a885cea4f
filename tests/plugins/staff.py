"""Fixtures for the calendar host -> staff tests: companies, branches, staff,
appointments, and readers for mappings, audit rows and alerts."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row


class StaffWorld:
    """Builds tenant data on a connection (uncommitted unless the test commits)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def _one(self, query: str, params=()):
        return self.conn.execute(query, params).fetchone()[0]

    def company(self, name: str = "Acme") -> int:
        return self._one("INSERT INTO public.companies (name) VALUES (%s) RETURNING id", (name,))

    def branch(self, company_id: int, name: str = "Main"):
        return self._one("INSERT INTO public.branches (company_id, name) VALUES (%s, %s) RETURNING id",
                         (company_id, name))

    def staff(self, company_id: int | None, name: str | None = None, email: str | None = None,
              branch_id=None, is_active: bool = True):
        return self._one("INSERT INTO public.staff (company_id, branch_id, name, email, is_active) "
                         "VALUES (%s, %s, %s, %s, %s) RETURNING id", (company_id, branch_id, name, email, is_active))

    def mapping(self, staff_id, host_id: int, company_id: int | None = None, **cols) -> int:
        cols = {"staff_id": staff_id, "calcom_host_id": host_id, "company_id": company_id,
                "mapping_source": "manual", "confidence_score": 100} | cols
        names = ", ".join(cols)
        marks = ", ".join(["%s"] * len(cols))
        return self._one(f"INSERT INTO public.calcom_host_mappings ({names}) VALUES ({marks}) RETURNING id",
                         tuple(cols.values()))

    def appointment(self, company_id: int | None, **cols) -> int:
        cols = {"company_id": company_id} | cols
        names = ", ".join(cols)
        marks = ", ".join(["%s"] * len(cols))
        return self._one(f"INSERT INTO public.appointments ({names}) VALUES ({marks}) RETURNING id",
                         tuple(cols.values()))

    def rows(self, query: str, params=()) -> list[dict]:
        with self.conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(query, params).fetchall()

    def mappings(self, host_id: int | None = None) -> list[dict]:
        return self.rows("SELECT * FROM public.calcom_host_mappings WHERE %(h)s::int IS NULL OR calcom_host_id = %(h)s "
                         "ORDER BY id", {"h": host_id})

    def audits(self, mapping_id: int | None = None) -> list[dict]:
        return self.rows("SELECT * FROM public.calcom_host_mapping_audits "
                         "WHERE %(m)s::bigint IS NULL OR mapping_id = %(m)s ORDER BY id", {"m": mapping_id})

    def alerts(self, alert_type: str) -> list[dict]:
        return self.rows("SELECT * FROM dbguard.data_consistency_alerts WHERE alert_type = %s ORDER BY id",
                         (alert_type,))

    def appointment_staff(self, appointment_id: int):
        return self._one("SELECT staff_id FROM public.appointments WHERE id = %s", (appointment_id,))


@pytest.fixture
def world(conn: psycopg.Connection) -> StaffWorld:
    return StaffWorld(conn)
