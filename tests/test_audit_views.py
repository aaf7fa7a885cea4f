"""The dbguard_audit views: rendered from templates, installed by migrate only
when changed, GRANTs kept across a re-creation, the docs generated from the catalog."""

from __future__ import annotations

import re
from decimal import Decimal
import uuid
from pathlib import Path

import jinja2
import pytest
from psycopg import sql

import dbguard
from dbguard import views
from dbguard.catalog import docs_markdown, load_catalog
from tests.legacy_data import inject

DOCS = Path(__file__).resolve().parent.parent / "docs" / "detection-rules.md"
VIEWS = {"consistency_violations", "consistency_rate_daily", "alert_summary", "metadata_completeness",
         "booking_sources", "cancellations", "reschedules", "channel_performance", "link_status",
         "staff_assignment", "appointment_history", "review_queue"}


def test_migrate_installs_every_audit_view_and_each_can_be_queried(conn):
    inject(conn)
    dbguard.check(conn)
    installed = {r[0] for r in conn.execute("SELECT viewname FROM pg_views WHERE schemaname = 'dbguard_audit'")}
    assert VIEWS <= installed
    for name in VIEWS:
        conn.execute(sql.SQL("SELECT * FROM dbguard_audit.{}").format(sql.Identifier(name))).fetchall()


def test_consistency_violations_view_lists_what_check_finds(conn):
    legacy = inject(conn)
    rows = set(conn.execute("SELECT rule, entity_id FROM dbguard_audit.consistency_violations"))
    assert rows == legacy.expected


def test_templates_render_select_bodies_only():
    rendered = views.render_views()
    assert VIEWS <= {v.name for v in rendered}
    for view in rendered:
        assert not re.search(r"\bCREATE\s+(OR\s+REPLACE\s+)?VIEW\b", view.body, re.I)
        assert view.create_sql().startswith(f'CREATE OR REPLACE VIEW "dbguard_audit"."{view.name}" AS')


def test_a_template_using_an_unknown_variable_fails_to_render(tmp_path, monkeypatch):
    (tmp_path / "bad.sql.j2").write_text("SELECT 1 FROM {{ domian_schema }}.calls")
    monkeypatch.setattr(views, "_templates_dir", lambda: tmp_path)
    with pytest.raises(jinja2.UndefinedError, match="domian_schema"):
        views.render_views()


def test_domain_schema_is_quoted_as_an_identifier():
    text = dbguard.render('we"ird', views=["link_status"])
    assert '"we""ird".calls' in text


def test_views_are_reinstalled_only_when_their_rendered_text_changes(conn):
    assert views.install_views(conn) == {}
    conn.execute("UPDATE dbguard.installed_views SET sha256 = 'stale' WHERE view_name = 'booking_sources'")
    assert views.install_views(conn) == {"booking_sources": "replaced"}
    assert views.install_views(conn) == {}


def test_dropped_view_is_recreated_by_migrate(conn, dsn):
    conn.execute("DROP VIEW dbguard_audit.cancellations")
    conn.commit()
    dbguard.migrate(dsn, notify=lambda _m: None)
    assert conn.execute("SELECT to_regclass('dbguard_audit.cancellations') IS NOT NULL").fetchone() == (True,)


def test_recreating_a_view_whose_columns_changed_keeps_its_grants(conn):
    role = f"dbguard_test_analyst_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    try:
        # An older version of the view with other columns, granted to an analyst.
        conn.execute("DROP VIEW dbguard_audit.link_status")
        conn.execute("CREATE VIEW dbguard_audit.link_status AS SELECT 1 AS old_column")
        conn.execute(sql.SQL("GRANT SELECT ON dbguard_audit.link_status TO {}").format(sql.Identifier(role)))
        conn.execute("GRANT SELECT ON dbguard_audit.link_status TO PUBLIC")
        conn.execute("UPDATE dbguard.installed_views SET sha256 = 'old' WHERE view_name = 'link_status'")

        assert views.install_views(conn) == {"link_status": "recreated"}

        assert conn.execute("SELECT has_table_privilege(%s, 'dbguard_audit.link_status', 'SELECT')",
                            (role,)).fetchone() == (True,)
        assert "status" in [c.name for c in conn.execute("SELECT * FROM dbguard_audit.link_status LIMIT 0").description]
        acl = conn.execute("SELECT relacl::text FROM pg_class WHERE oid = 'dbguard_audit.link_status'::regclass"
                           ).fetchone()[0]
        assert "=r/" in acl  # PUBLIC's grant is back too
    finally:
        conn.rollback()
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.commit()


def test_migrate_dry_run_prints_the_views_it_would_install(conn, dsn):
    conn.execute("UPDATE dbguard.installed_views SET sha256 = 'old' WHERE view_name = 'reschedules'")
    conn.commit()
    result = dbguard.migrate(dsn, dry_run=True)
    text = "\n".join(result.sql)
    assert 'CREATE OR REPLACE VIEW "dbguard_audit"."reschedules"' in text
    assert '"dbguard_audit"."cancellations"' not in text


def test_rollback_of_the_baseline_drops_the_views(dsn, conn):
    import psycopg
    conn.close()
    dbguard.rollback(dsn, count=None, notify=lambda _m: None)
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT count(*) FROM pg_views WHERE schemaname = 'dbguard_audit'").fetchone()[0] == 0
    dbguard.migrate(dsn, notify=lambda _m: None)
    with psycopg.connect(dsn) as c:
        names = {r[0] for r in c.execute("SELECT viewname FROM pg_views WHERE schemaname = 'dbguard_audit'")}
    assert VIEWS <= names


def test_detection_rules_doc_is_generated_from_the_current_catalog():
    assert DOCS.read_text() == docs_markdown(load_catalog(builtin_only=True)), \
        "docs/detection-rules.md is stale: run `dbguard render --docs -o docs/detection-rules.md`"


def test_every_contract_rule_is_in_the_catalog_with_its_severity():
    rules = {r.name: r.severity for r in load_catalog(builtin_only=True)}
    for name in ("phantom_booking", "made_without_appointment", "confirmed_without_appointment",
                 "cross_tenant_staff"):
        assert rules[name] == "critical"
    assert rules["call_missing_direction"] == "warning" and rules["orphaned_appointment"] == "warning"
    assert {"link_status_mismatch", "missing_lifecycle_metadata", "lead_rollup_drift", "unassigned_staff",
            "pii_in_metadata"} <= rules.keys()


def test_view_figures_on_known_data(conn):
    from tests.legacy_data import appointment, call, insert
    conn.execute("SET session_replication_role = replica")
    company = insert(conn, "companies", name="c")
    call(conn, company, session_outcome="appointment_booked", appointment_made=True)
    call(conn, company, session_outcome="appointment_booked")           # disagrees
    call(conn, company)
    call(conn, company, appointment_made=True)                          # disagrees the other way
    late = appointment(conn, company, status="cancelled", cancelled_by="customer_phone")
    early = appointment(conn, company, status="cancelled", cancelled_by="customer_phone")
    conn.execute("UPDATE public.appointments SET starts_at = now() + interval '30 days', "
                 "cancelled_at = now() + interval '29 days 12 hours' WHERE id = %s", (late,))
    conn.execute("UPDATE public.appointments SET starts_at = now() + interval '30 days', "
                 "cancelled_at = now() + interval '27 days' WHERE id = %s", (early,))
    appointment(conn, company, status="confirmed", booking_source="retell_webhook", created_by="retell_ai")
    appointment(conn, company, status="cancelled", booking_source="retell_webhook", created_by="retell_ai",
                cancelled_at="2029-12-31 00:00+00", cancelled_by=None)
    conn.execute("RESET session_replication_role")
    for days_ago, n in ((0, 3), (7, 1)):
        for i in range(n):
            conn.execute("""INSERT INTO dbguard.data_consistency_alerts
                                (alert_type, severity, entity_type, entity_id, description, detected_by,
                                 auto_corrected, detected_at)
                            VALUES ('x', 'warning', 'calls', %s, 'd', 'trigger', %s, now() - make_interval(days => %s))""",
                         (f"{days_ago}-{i}", i == 0, days_ago))

    assert conn.execute("SELECT calls, consistent_calls, booked_outcome_without_flag, flag_without_booked_outcome, "
                        "consistency_rate_pct FROM dbguard_audit.consistency_rate_daily").fetchall() \
        == [(4, 2, 1, 1, 50)]
    assert conn.execute("SELECT cancellations, late_cancellations, avg_notice_hours FROM dbguard_audit.cancellations "
                        "WHERE cancelled_by = 'customer_phone'").fetchone() == (2, 1, 42)
    assert conn.execute("SELECT total, confirmed, cancelled, success_rate_pct FROM dbguard_audit.channel_performance "
                        "WHERE booking_source = 'retell_webhook' AND created_by = 'retell_ai'").fetchone() \
        == (2, 1, 1, 50)
    assert conn.execute("SELECT cancelled, cancelled_at_pct, cancelled_by_pct FROM dbguard_audit.metadata_completeness"
                        ).fetchone() == (3, 100, Decimal("66.67"))
    today = conn.execute("SELECT alerts, auto_corrected_pct, alerts_week_before, week_over_week_pct, trend "
                         "FROM dbguard_audit.alert_summary WHERE day = (now() AT TIME ZONE 'UTC')::date").fetchone()
    assert today == (3, Decimal("33.33"), 1, 200, "up")
