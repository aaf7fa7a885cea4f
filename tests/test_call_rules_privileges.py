"""The call <-> appointment rules work for an application role that cannot touch dbguard's tables."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from .plugins.calls import alerts, call, reviews
from .test_booking_confirmed_requires_appointment import broken_application


@pytest.fixture
def app_role(conn, server_dsn):
    """A role with DML on the domain tables, read access to the rule settings,
    vocabularies and source mappings, and EXECUTE on raise_alert / enqueue_review and the rules' helpers — nothing
    else."""
    name = f"dbguard_app_{uuid.uuid4().hex[:8]}"
    role = sql.Identifier(name)
    for statement in (
        "CREATE ROLE {} NOLOGIN",
        "GRANT USAGE ON SCHEMA public, dbguard TO {}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON public.calls, public.appointments, public.customers TO {}",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}",
        "GRANT SELECT ON dbguard.rule_settings, dbguard.vocabularies, dbguard.source_mappings TO {}",
        "GRANT EXECUTE ON FUNCTION dbguard.raise_alert(text, text, text, text, text, jsonb, text, boolean, text), "
        "dbguard.enqueue_review(bigint, text, jsonb) TO {}",
        # Helpers the rules call that are not executable by PUBLIC.
        "GRANT EXECUTE ON FUNCTION dbguard.call_has_appointment(bigint), "
        "dbguard.rollback_booking_flags(bigint, text, text), dbguard.restore_rolled_back_claim(bigint), "
        "dbguard.rule_violation(text, text, text, text, text, text, text, text, text, jsonb, text, text, text), "
        "dbguard.vocabulary_value(text, text, text, text, text, text, text, text, text), "
        "dbguard.vocabulary_message(text, text, text, text, text), "
        "dbguard.raise_vocabulary_error(text, text, text, text, text) TO {}",
    ):
        conn.execute(sql.SQL(statement).format(role))
    conn.commit()
    yield name
    conn.rollback()
    conn.execute("RESET ROLE")
    conn.execute(sql.SQL("DROP OWNED BY {}").format(role))
    conn.execute(sql.SQL("DROP ROLE {}").format(role))
    conn.commit()


def test_correct_mode_rolls_back_alerts_and_queues_as_the_application_role(conn, app_role):
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app_role)))
    call_id = broken_application(conn)
    conn.commit()
    conn.execute("RESET ROLE")
    assert call(conn, call_id)["session_outcome"] == "creation_failed"
    assert [a["alert_type"] for a in alerts(conn, "booking_confirmed_requires_appointment")] == \
        ["confirmed_without_appointment"]
    assert len(reviews(conn, call_id)) == 1


def test_the_application_role_cannot_write_alerts_directly(conn, app_role):
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app_role)))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO dbguard.data_consistency_alerts (alert_type, severity, entity_type, description, "
                     "detected_by) VALUES ('x', 'info', 'call', 'forged', 'trigger')")
