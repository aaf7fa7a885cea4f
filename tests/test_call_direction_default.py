"""Rule call_direction_default: a new call without a direction is inbound."""

from __future__ import annotations

import dbguard


def test_missing_direction_becomes_inbound(conn):
    assert conn.execute("INSERT INTO public.calls (retell_call_id) VALUES ('c1') RETURNING direction").fetchone() \
        == ("inbound",)


def test_explicit_direction_is_kept(conn):
    assert conn.execute("INSERT INTO public.calls (direction) VALUES ('outbound') RETURNING direction").fetchone() \
        == ("outbound",)


def test_update_to_null_is_not_touched_by_an_insert_rule(conn):
    call_id = conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING id").fetchone()[0]
    conn.execute("UPDATE public.calls SET direction = NULL WHERE id = %s", (call_id,))
    assert conn.execute("SELECT direction FROM public.calls WHERE id = %s", (call_id,)).fetchone() == (None,)


def test_mode_off_leaves_direction_null(conn):
    dbguard.set_mode(conn, "call_direction_default", "off")
    assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone() == (None,)
