"""The demo's sample data carries exactly the inconsistencies it promises."""

from __future__ import annotations

import pytest

from dbguard.sample_data import EXPECTED, load_sample_data


@pytest.mark.commits
def test_sample_data_has_the_39_percent_desync(conn):
    load_sample_data(conn)
    confirmed, without = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS "
        "(SELECT 1 FROM public.appointments a WHERE a.call_id = c.id)) FROM public.calls c WHERE booking_confirmed"
    ).fetchone()
    assert (confirmed, without) == (EXPECTED["confirmed_calls"], EXPECTED["confirmed_without_appointment"])
    assert round(100 * without / confirmed) == 39
    assert conn.execute("SELECT count(*) FROM public.calls WHERE booking_details IS NOT NULL").fetchone()[0] \
        == EXPECTED["recoverable_from_booking_details"]
    assert conn.execute("SELECT count(*) FROM public.calls WHERE session_outcome = 'appointment_booked' "
                        "AND NOT appointment_made").fetchone()[0] == EXPECTED["phantom_bookings"]
    assert conn.execute("SELECT count(*) FROM public.calls WHERE direction IS NULL").fetchone()[0] \
        == EXPECTED["calls_missing_direction"]
