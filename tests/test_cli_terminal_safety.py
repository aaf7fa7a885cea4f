"""Text from the database never reaches the operator's terminal as control
sequences: shown escaped in human output, escaped by JSON in --json output."""

from __future__ import annotations

import json

import pytest

from dbguard.cli import safe
from tests.cli_run import in_process, watch_one_alert

OSC_TITLE = "\x1b]0;owned\x07"          # retitles the terminal window
OSC_LINK = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
CSI_C1 = "\x9b2J"                        # clear screen through the 8-bit CSI
BIDI = "\u202egnp.exe"                  # right-to-left override


def raw_controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c == "\u202e"]


@pytest.mark.parametrize("text, shown", [
    (OSC_TITLE, "\\x1b]0;owned\\x07"),
    (CSI_C1, "\\x9b2J"),
    (BIDI, "\\u202egnp.exe"),
    ("two\nlines\r\tand a tab", "two\\x0alines\\x0d\\x09and a tab"),
    ("grüße, 日本, emoji \U0001f600", "grüße, 日本, emoji \U0001f600"),
])
def test_safe_shows_control_characters_escaped_and_keeps_printable_text(text, shown):
    assert safe(text) == shown


def test_safe_multiline_keeps_newlines_and_tabs_only():
    assert safe("a\n\tb\x1b[31m\r", multiline=True) == "a\n\tb\\x1b[31m\\x0d"


@pytest.fixture
def hostile_review(conn):
    conn.execute("INSERT INTO dbguard.manual_review_queue (call_id, reason, priority, context, resolved_by)"
                 " VALUES (1, %s, 1, '{}', %s)", (f"reason {OSC_TITLE}{OSC_LINK}", f"by {CSI_C1}{BIDI}"))
    conn.commit()


def test_an_osc_sequence_in_a_review_reason_is_shown_escaped(capsys, dsn, hostile_review):
    result = in_process(capsys, "--dsn", dsn, "review", "--all")
    assert result.code == 0, result.err
    assert raw_controls(result.out) == []
    assert "reason \\x1b]0;owned\\x07\\x1b]8;;http://evil.example\\x1b\\click" in result.out
    listed = in_process(capsys, "--dsn", dsn, "review", "--all", "--json")
    assert raw_controls(listed.out) == []
    assert json.loads(listed.out)[0]["reason"] == f"reason {OSC_TITLE}{OSC_LINK}"


def test_alert_text_in_check_report_and_metrics_is_shown_escaped(capsys, conn, dsn):
    conn.execute("""INSERT INTO dbguard.data_consistency_alerts
                        (alert_type, severity, entity_type, entity_id, description, detected_by)
                    VALUES (%s, 'warning', 'calls', %s, %s, 'trigger')""",
                 (f"type{OSC_TITLE}", f"7{CSI_C1}", f"description {OSC_LINK}"))
    conn.commit()
    for args in (["report"], ["report", "--format", "markdown"], ["metrics"], ["check"], ["rules"]):
        result = in_process(capsys, "--dsn", dsn, *args)
        assert result.code in (0, 1), result.err
        assert raw_controls(result.out) == [], args
    as_json = in_process(capsys, "--dsn", dsn, "report", "--format", "json")
    assert raw_controls(as_json.out) == []
    json.loads(as_json.out)


def test_metrics_with_hostile_labels_stay_parseable_prometheus_text(capsys, conn, dsn):
    from prometheus_client.parser import text_string_to_metric_families
    conn.execute("""INSERT INTO dbguard.data_consistency_alerts
                        (alert_type, severity, entity_type, entity_id, description, detected_by)
                    VALUES (%s, 'warning', 'calls', '7', 'd', 'trigger')""", (f"type{OSC_TITLE}",))
    conn.commit()
    result = in_process(capsys, "--dsn", dsn, "metrics")
    assert result.code == 0, result.err
    assert raw_controls(result.out) == []
    labels = {s.labels.get("alert_type") for f in text_string_to_metric_families(result.out) for s in f.samples}
    assert "type\\x1b]0;owned\\x07" in labels


def test_watch_shows_an_alert_description_escaped(dsn, connect):
    result = watch_one_alert(dsn, connect, "SELECT dbguard.raise_alert('call_missing_direction', 'info', 'calls', "
                                           "'7', %s)", (f"seen {OSC_TITLE}",))
    assert result.code == 0, result.err
    assert "seen \\x1b]0;owned\\x07" in result.out and raw_controls(result.out) == []
