"""Alert lifecycle: one open alert per (rule, row) whoever found it; an alert is resolved
as soon as its violation is gone, by check or reconcile, whether a scan or a trigger
raised it; `dbguard alerts` lists, filters and resolves the rest by hand."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import dbguard
from dbguard.alerts import alerts, alerts_resolve
from dbguard.cli import safe


def _phantom(legacy) -> int:
    return legacy("INSERT INTO public.calls (session_outcome, appointment_made, direction) "
                  "VALUES ('appointment_booked', false, 'inbound') RETURNING id")[0][0]


def _trigger_alert(conn, call_id: int, alert_type: str = "session_outcome_mismatch", corrected: bool = False) -> int:
    alert = conn.execute("SELECT dbguard.raise_alert(%s, 'critical', 'call', %s, 'flag and outcome disagree', "
                         "'{}'::jsonb, 'trigger', %s, 'outcome_flag_sync')",
                         (alert_type, str(call_id), corrected)).fetchone()[0]
    conn.commit()
    return alert


def _open(conn, call_id: int) -> list[tuple]:
    rows = conn.execute("SELECT alert_type, detected_by FROM dbguard.data_consistency_alerts "
                        "WHERE entity_id = %s AND resolved_at IS NULL ORDER BY id", (str(call_id),)).fetchall()
    conn.rollback()
    return rows


def test_check_resolves_a_trigger_alert_whose_row_was_fixed_and_adds_no_second_alert_for_a_row_still_wrong(conn, legacy):
    fixed, still = _phantom(legacy), _phantom(legacy)
    fixed_alert, still_alert = _trigger_alert(conn, fixed), _trigger_alert(conn, still)
    legacy("UPDATE public.calls SET session_outcome = 'no_appointment' WHERE id = %s", (fixed,))

    dbguard.check(conn)
    conn.commit()

    assert conn.execute("SELECT resolved_by FROM dbguard.data_consistency_alerts WHERE id = %s",
                        (fixed_alert,)).fetchone() == ("scan",)
    assert _open(conn, still) == [("session_outcome_mismatch", "trigger")], "the trigger alert stands for the row"
    dbguard.check(conn)
    conn.commit()
    assert _open(conn, still) == [("session_outcome_mismatch", "trigger")]
    assert still_alert


def test_after_reconcile_and_check_no_alert_stays_open_for_what_was_fixed(conn, legacy, connect):
    calls = [_phantom(legacy) for _ in range(3)]
    for call in calls:
        _trigger_alert(conn, call)
    corrected_elsewhere = _trigger_alert(conn, calls[0], "customer_link_mismatch", corrected=True)
    dbguard.check(conn)
    conn.commit()

    summary = dbguard.reconcile(connect(autocommit=True), rules=["phantom_booking"])
    assert summary[0].fixed == 3
    for call in calls:
        assert [t for t, _by in _open(conn, call) if t in ("session_outcome_mismatch", "phantom_booking")] == []
    result = dbguard.check(conn)
    conn.commit()

    assert result.total == sum(r.count for r in result.rules)
    open_critical = conn.execute("SELECT count(*) FROM dbguard.data_consistency_alerts "
                                 "WHERE resolved_at IS NULL AND severity = 'critical'").fetchone()[0]
    assert open_critical == result.critical == 0
    assert conn.execute("SELECT resolved_by FROM dbguard.data_consistency_alerts WHERE id = %s",
                        (corrected_elsewhere,)).fetchone() == ("scan",)


def test_alerts_lists_filters_and_resolves_by_id_or_type_with_a_note(conn, legacy):
    a, b = _phantom(legacy), _phantom(legacy)
    first = _trigger_alert(conn, a)
    second = _trigger_alert(conn, b)
    info = conn.execute("SELECT dbguard.raise_alert('call_missing_direction', 'info', 'call', '9', "
                        "e'odd \\x1b]0;title\\x07 text', '{}'::jsonb, 'scan', false, 'call_missing_direction')"
                        ).fetchone()[0]
    conn.commit()

    assert [r["id"] for r in alerts(conn, severity="critical")] == [second, first]
    assert [r["id"] for r in alerts(conn, types=["call_missing_direction"])] == [info]
    assert alerts_resolve(conn, alert_id=first, note="fixed the webhook", by="dba") == [first]
    assert [r["id"] for r in alerts(conn, open_only=True, severity="critical")] == [second]
    resolved = alerts(conn, types=["session_outcome_mismatch"])[-1]
    assert (resolved["resolved_by"], resolved["details"]["resolution_note"]) == ("dba", "fixed the webhook")
    assert alerts_resolve(conn, alert_type="session_outcome_mismatch", note="bulk") == [second]
    assert safe("odd \x1b]0;title\x07 text") == "odd \\x1b]0;title\\x07 text"


@pytest.mark.slow
def test_alerts_command(conn, dsn, legacy):
    call = _phantom(legacy)
    alert = _trigger_alert(conn, call)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dbguard", "--dsn", dsn, "alerts", *args],
                              capture_output=True, text=True, timeout=120)

    listed = run("--open", "--type", "session_outcome_mismatch", "--since", "1h", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["id"] for r in json.loads(listed.stdout)["alerts"]] == [alert]
    assert run("resolve", str(alert), "--note", "done").stdout.strip() == f"1 alert(s) resolved: {alert}"
    again = run("resolve", str(alert), "--note", "done")
    assert again.returncode != 0 and "already resolved" in again.stderr and "Traceback" not in again.stderr
    table = run("--severity", "critical")
    assert table.returncode == 0 and "resolved by" in table.stdout
