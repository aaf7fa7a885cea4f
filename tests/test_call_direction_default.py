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


# Version 2: every mode, and the vocabulary of calls.direction on insert and update.

import pytest  # noqa: E402

from dbguard.errors import VocabularyViolation  # noqa: E402

from .plugins.calls import alerts, call, new_call, update  # noqa: E402


def test_alert_mode_leaves_a_missing_direction_null_and_records_it(conn, set_mode):
    set_mode("call_direction_default", "alert")
    call_id = new_call(conn)
    assert call(conn, call_id)["direction"] is None
    [alert] = alerts(conn, "call_direction_default")
    assert (alert["alert_type"], alert["entity_id"], alert["auto_corrected"]) == ("call_missing_direction", str(call_id), False)


def test_correct_mode_fills_the_default_silently(conn):
    new_call(conn)
    assert alerts(conn, "call_direction_default") == []


def test_enforce_mode_still_fills_the_default(conn, set_mode):
    set_mode("call_direction_default", "enforce")
    assert call(conn, new_call(conn))["direction"] == "inbound"


@pytest.mark.parametrize("written, stored", [("Outbound ", "outbound"), (" INBOUND", "inbound")])
def test_correct_mode_normalises_a_case_variant_and_keeps_the_original_in_the_alert(conn, written, stored):
    call_id = new_call(conn, direction=written)
    assert call(conn, call_id)["direction"] == stored
    [alert] = alerts(conn, "call_direction_default")
    assert alert["alert_type"] == "vocabulary_violation" and alert["auto_corrected"] is True
    assert alert["details"]["value"] == written and alert["details"]["corrected_to"] == stored
    assert alert["details"]["allowed"] == ["inbound", "outbound"]


@pytest.mark.parametrize("on", ["insert", "update"])
def test_correct_mode_refuses_an_unknown_direction_instead_of_storing_another(conn, on):
    call_id = new_call(conn) if on == "update" else None
    with pytest.raises(VocabularyViolation) as err:
        if on == "insert":
            new_call(conn, direction="sideways")
        else:
            update(conn, "calls", call_id, direction="sideways")
    assert "'sideways'" in err.value.diag.message_primary and "inbound, outbound" in err.value.diag.message_detail
    conn.rollback()


def test_alert_mode_keeps_an_unknown_direction_and_records_it(conn, set_mode):
    set_mode("call_direction_default", "alert")
    call_id = new_call(conn, direction="sideways")
    assert call(conn, call_id)["direction"] == "sideways"
    [alert] = alerts(conn, "call_direction_default")
    assert alert["alert_type"] == "vocabulary_violation" and alert["auto_corrected"] is False


def test_off_mode_keeps_an_unknown_direction_without_alert(conn, set_mode):
    set_mode("call_direction_default", "off")
    call_id = new_call(conn, direction="sideways")
    assert call(conn, call_id)["direction"] == "sideways" and alerts(conn) == []


@pytest.mark.parametrize("on", ["insert", "update"])
def test_enforce_mode_refuses_an_unknown_direction_naming_column_and_allowed_values(conn, set_mode, on):
    set_mode("call_direction_default", "enforce")
    call_id = new_call(conn) if on == "update" else None
    with pytest.raises(VocabularyViolation) as err:
        if on == "insert":
            new_call(conn, direction="sideways")
        else:
            update(conn, "calls", call_id, direction="sideways")
    diag = err.value.diag
    assert diag.sqlstate == "23Q02"
    assert "public.calls.direction" in diag.message_primary and "'sideways'" in diag.message_primary
    assert "inbound, outbound" in diag.message_detail
    assert diag.message_hint


def test_a_direction_added_to_the_vocabulary_is_accepted(conn, set_mode):
    set_mode("call_direction_default", "enforce")
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('call_direction', 'internal')")
    assert call(conn, new_call(conn, direction="internal"))["direction"] == "internal"


def test_an_update_that_does_not_change_a_legacy_direction_is_not_checked(conn, set_mode):
    set_mode("call_direction_default", "off")
    call_id = new_call(conn, direction="legacy-value")
    set_mode("call_direction_default", "enforce")
    update(conn, "calls", call_id, direction="legacy-value", call_type="phone")
    assert call(conn, call_id)["direction"] == "legacy-value"
