"""Alerts and acting settings: the plumbing every rule relies on."""

from __future__ import annotations

import psycopg
import pytest

import dbguard
from dbguard.errors import InvalidActingSetting, RuleViolation, VocabularyViolation


def _alert(conn, **kw):
    args = {"t": "test_alert", "s": "warning", "et": "call", "eid": "1", "d": "something", "by": "trigger"} | kw
    return conn.execute("SELECT dbguard.raise_alert(%(t)s, %(s)s, %(et)s, %(eid)s, %(d)s, '{}'::jsonb, %(by)s)",
                        args).fetchone()[0]


def test_raise_alert_records_and_notifies(conn, connect):
    listener = connect(autocommit=True)
    listener.execute("LISTEN dbguard_alerts")
    alert_id = _alert(conn)
    conn.commit()

    note = next(listener.notifies(timeout=5, stop_after=1))
    assert note.channel == "dbguard_alerts"
    assert f'"id": {alert_id}' in note.payload and '"alert_type": "test_alert"' in note.payload
    row = conn.execute("SELECT severity, detected_by, auto_corrected, resolved_at FROM dbguard.data_consistency_alerts "
                       "WHERE id = %s", (alert_id,)).fetchone()
    assert row == ("warning", "trigger", False, None)


def test_scan_does_not_duplicate_an_open_alert(conn):
    first = _alert(conn, by="scan")
    assert _alert(conn, by="scan") is None
    assert _alert(conn, by="scan", eid="2") is not None
    conn.execute("UPDATE dbguard.data_consistency_alerts SET resolved_at = now() WHERE id = %s", (first,))
    assert _alert(conn, by="scan") is not None, "a resolved alert may be raised again"


def test_raise_alert_is_not_executable_by_public(conn):
    assert conn.execute("SELECT has_function_privilege('public', "
                        "'dbguard.raise_alert(text,text,text,text,text,jsonb,text,boolean,text)', 'EXECUTE')"
                        ).fetchone()[0] is False


@pytest.mark.commits
def test_acting_context_manager_sets_settings_for_the_transaction_only(conn):
    with dbguard.acting(conn, actor="retell_ai", source="retell_webhook", user_id=42, reason="test"):
        got = conn.execute("SELECT dbguard.acting('actor'), dbguard.acting('source'), dbguard.acting_user_id(), "
                           "dbguard.acting('reason')").fetchone()
    assert got == ("retell_ai", "retell_webhook", 42, "test")
    assert conn.execute("SELECT dbguard.acting('actor'), dbguard.acting_user_id()").fetchone() == (None, None)


def test_unset_and_empty_settings_read_as_null(conn):
    conn.execute("SET LOCAL dbguard.actor = ''")
    assert conn.execute("SELECT dbguard.acting('actor'), dbguard.acting('never_set')").fetchone() == (None, None)


def test_non_integer_user_id_is_refused_with_the_documented_error(conn):
    conn.execute("SET LOCAL dbguard.user_id = 'bob'")
    with pytest.raises(InvalidActingSetting) as err:
        conn.execute("SELECT dbguard.acting_user_id()")
    assert isinstance(err.value, RuleViolation) and isinstance(err.value, psycopg.IntegrityError)
    assert "'bob'" in err.value.diag.message_primary


def test_vocabulary_error_names_table_row_column_value_and_allowed_values(conn):
    with pytest.raises(VocabularyViolation) as err:
        conn.execute("SELECT dbguard.raise_vocabulary_error('call_direction', 'sideways', 'public.calls', 'direction', '7')")
    diag = err.value.diag
    assert diag.sqlstate == "23Q02"
    assert "public.calls.direction" in diag.message_primary and "'sideways'" in diag.message_primary
    assert "row id 7" in diag.message_detail and "inbound, outbound" in diag.message_detail
    assert "INSERT INTO dbguard.vocabularies" in diag.message_hint
    assert diag.column_name == "direction"


@pytest.mark.parametrize("vocabulary, value, ok", [
    ("call_direction", "inbound", True), ("call_direction", "Inbound", False), ("call_direction", None, True),
    ("booking_source", "cal.com_webhook", True), ("actor", "retell_ai", True), ("actor", "martian", False),
])
def test_in_vocabulary(conn, vocabulary, value, ok):
    assert conn.execute("SELECT dbguard.in_vocabulary(%s, %s)", (vocabulary, value)).fetchone()[0] is ok
