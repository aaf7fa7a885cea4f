"""Every audit view, every dbguard table and each of their columns carries a
COMMENT from sql/comments.toml, and docs/analysts.md shows the same text."""

from __future__ import annotations

import re
from pathlib import Path

from psycopg import sql

from dbguard import views
from tests.legacy_data import inject

DOCS = Path(__file__).resolve().parent.parent / "docs" / "analysts.md"
BEGIN, END = "<!-- begin view reference -->", "<!-- end view reference -->"


def _relations(conn):
    return conn.execute(
        """SELECT n.nspname, c.relname, c.oid, obj_description(c.oid, 'pg_class')
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname IN ('dbguard', 'dbguard_audit') AND c.relkind IN ('r', 'v', 'm', 'p')
            ORDER BY 1, 2""").fetchall()


def test_every_audit_view_dbguard_table_and_column_has_a_comment(conn):
    missing = []
    for schema, name, oid, comment in _relations(conn):
        if not (comment or "").strip():
            missing.append(f"{schema}.{name}")
        for (column,) in conn.execute(
                """SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped
                      AND coalesce(col_description(attrelid, attnum), '') = ''""", (oid,)):
            missing.append(f"{schema}.{name}.{column}")
    assert missing == [], "add these to sql/comments.toml"


def test_comments_file_names_no_view_table_or_column_that_does_not_exist(conn):
    existing = {(s, n) for s, n, _, _ in _relations(conn)}
    stale = []
    for schema, name, _, columns in views.comment_targets():
        if (schema, name) not in existing:
            stale.append(f"{schema}.{name}")
            continue
        have = {r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (sql.Identifier(schema, name).as_string(None),))}
        stale += [f"{schema}.{name}.{c}" for c in columns if c not in have]
    assert stale == []


def test_a_recreated_view_and_an_edited_comment_get_the_shipped_comments_back(conn):
    conn.execute("DROP VIEW dbguard_audit.cancellations")
    conn.execute("COMMENT ON COLUMN dbguard.rule_settings.mode IS 'edited by hand'")
    conn.commit()
    assert views.install_views(conn) == {"cancellations": "created"}
    shipped = views.load_comments()
    assert conn.execute(
        "SELECT obj_description('dbguard_audit.cancellations'::regclass, 'pg_class'), "
        "col_description('dbguard_audit.cancellations'::regclass, 3), "
        "col_description('dbguard.rule_settings'::regclass, 2)").fetchone() == (
        shipped["views"]["cancellations"]["comment"],
        shipped["views"]["cancellations"]["columns"]["avg_notice_hours"],
        shipped["tables"]["rule_settings"]["columns"]["mode"])


def test_comments_say_the_unit_of_every_percentage_and_duration_column():
    for _, name, _, columns in views.comment_targets():
        for column, text in columns.items():
            if column.endswith("_pct"):
                assert "percent" in text, f"{name}.{column}"
            if column.endswith("_hours") or column.endswith("_seconds"):
                assert re.search(r"\b(hours|seconds)\b", text, re.I), f"{name}.{column}"


def test_consistency_rate_daily_says_it_measures_one_rule_only():
    assert "one rule only" in views.load_comments()["views"]["consistency_rate_daily"]["comment"].lower()


def test_the_view_reference_in_the_analyst_docs_is_generated_from_the_comments_file():
    text = DOCS.read_text(encoding="utf-8")
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert block.strip() == views.analyst_docs_markdown().strip(), \
        "regenerate it: dbguard render --analyst-docs, between the markers in docs/analysts.md"


def test_every_example_query_in_the_analyst_docs_runs(conn):
    inject(conn)
    for view, entry in views.load_comments()["views"].items():
        assert view in entry["example"]
        conn.execute(entry["example"]).fetchall()
