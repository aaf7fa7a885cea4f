"""Rule creation_metadata: who created an appointment and through which channel."""

from __future__ import annotations

import pytest

import dbguard
from dbguard.errors import InvalidActingSetting, VocabularyViolation

from .plugins.lifecycle import alerts, insert, set_acting


def test_source_setting_is_mapped_like_a_legacy_source(conn):
    set_acting(conn, source="cal.com")
    assert insert(conn, "appointments")["booking_source"] == "cal.com_direct"


def test_source_setting_wins_over_the_source_column(conn):
    set_acting(conn, source="widget_embed")
    a = insert(conn, "appointments", source="retell_webhook")
    assert (a["booking_source"], a["source"]) == ("widget_embed", "retell_webhook")


@pytest.mark.parametrize("source, booking_source, created_by", [
    ("retell_webhook", "retell_webhook", "retell_ai"),
    ("Cal.com", "cal.com_direct", "cal.com_webhook"),
    (" cal.com ", "cal.com_direct", "cal.com_webhook"),
    ("WIDGET_EMBED", "widget_embed", "unknown"),
    ("fax machine", "unknown", "unknown"),
])
def test_the_rule_and_backfill_metadata_derive_the_same_values_from_a_source(
        conn, set_mode, source, booking_source, created_by):
    new = insert(conn, "appointments", source=source)
    assert (new["booking_source"], new["created_by"]) == (booking_source, created_by)
    set_mode("creation_metadata", "off")
    old = insert(conn, "appointments", source=source)
    conn.commit()
    dbguard.backfill(conn, "metadata")
    conn.commit()
    old = conn.execute("SELECT booking_source, created_by FROM public.appointments WHERE id = %s",
                       (old["id"],)).fetchone()
    assert old == (booking_source, created_by)


def test_the_actor_setting_wins_over_the_actor_a_source_implies(conn):
    set_acting(conn, actor="staff_user")
    a = insert(conn, "appointments", source="retell_webhook")
    assert (a["created_by"], a["booking_source"]) == ("staff_user", "retell_webhook")


def test_unmapped_legacy_source_gives_unknown_without_alert(conn):
    a = insert(conn, "appointments", source="fax machine")
    assert (a["booking_source"], a["source"]) == ("unknown", "fax machine")
    assert alerts(conn, "creation_metadata") == []


def test_correct_mode_normalises_case_variants_and_alerts(conn):
    set_acting(conn, actor="Retell_AI ")
    a = insert(conn, "appointments", booking_source=" Cal.com_Webhook")
    assert (a["created_by"], a["booking_source"]) == ("retell_ai", "cal.com_webhook")
    got = {(x["details"]["column"], x["details"]["value"], x["auto_corrected"]) for x in alerts(conn, "creation_metadata")}
    assert got == {("created_by", "Retell_AI ", True), ("booking_source", " Cal.com_Webhook", True)}


@pytest.mark.parametrize("acting, column", [({"actor": "martian"}, "created_by"),
                                            ({"source": "carrier_pigeon"}, "booking_source")])
def test_correct_mode_refuses_unknown_values_instead_of_substituting_unknown(conn, acting, column):
    set_acting(conn, **acting)
    with pytest.raises(VocabularyViolation, match=column):
        insert(conn, "appointments")


def test_alert_mode_keeps_unknown_values_and_alerts(conn):
    dbguard.set_mode(conn, "creation_metadata", "alert")
    a = insert(conn, "appointments", created_by="martian")
    assert a["created_by"] == "martian" and a["booking_source"] == "unknown"
    assert [x["auto_corrected"] for x in alerts(conn, "creation_metadata")] == [False]


def test_enforce_mode_refuses_unknown_values_with_the_vocabulary_error(conn):
    dbguard.set_mode(conn, "creation_metadata", "enforce")
    with pytest.raises(VocabularyViolation) as err:
        insert(conn, "appointments", booking_source="carrier_pigeon")
    diag = err.value.diag
    assert "public.appointments.booking_source" in diag.message_primary and "'carrier_pigeon'" in diag.message_primary
    assert "retell_phone" in diag.message_detail and "INSERT INTO dbguard.vocabularies" in diag.message_hint


def test_enforce_mode_accepts_known_values(conn):
    dbguard.set_mode(conn, "creation_metadata", "enforce")
    set_acting(conn, actor="retell_ai")
    assert insert(conn, "appointments", source="retell_webhook")["created_by"] == "retell_ai"


def test_off_mode_fills_nothing(conn):
    dbguard.set_mode(conn, "creation_metadata", "off")
    set_acting(conn, actor="retell_ai")
    a = insert(conn, "appointments")
    assert (a["created_by"], a["booking_source"], a["source"]) == (None, None, None)


def test_vocabulary_extended_by_the_dba_is_accepted(conn):
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('booking_source', 'kiosk')")
    dbguard.set_mode(conn, "creation_metadata", "enforce")
    assert insert(conn, "appointments", booking_source="kiosk")["booking_source"] == "kiosk"


def test_bad_user_id_setting_is_refused(conn):
    set_acting(conn, user_id="bob")
    with pytest.raises(InvalidActingSetting):
        insert(conn, "appointments", status="cancelled")
