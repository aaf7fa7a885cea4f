"""docs/rules/<rule>.md are generated from each rule's source and match what ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbguard import rule_docs
from dbguard.cli import cli
from dbguard.rules import rules, shipped_rules

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"
STALE = "is stale: run `dbguard render --rule-docs docs/rules` (the Notes section is kept)"


def test_every_shipped_rule_has_a_page_and_no_page_lacks_a_rule():
    assert set(rule_docs.rule_sources()) == set(shipped_rules())
    assert {p.stem for p in DOCS.glob("*.md")} == set(shipped_rules())


@pytest.mark.parametrize("rule", sorted(shipped_rules()))
def test_each_committed_page_equals_what_the_generator_produces_now(rule):
    page = (DOCS / f"{rule}.md").read_text(encoding="utf-8")
    notes = rule_docs.notes_of(page)
    assert notes is not None, f"docs/rules/{rule}.md has no <!-- notes --> ... <!-- /notes --> section"
    assert page == rule_docs.generate(rule, notes), f"docs/rules/{rule}.md {STALE}"


def test_every_rule_installed_in_a_migrated_database_has_a_page_with_its_version(conn):
    installed = rules(conn)
    assert installed, "a migrated database has rules"
    for r in installed:
        page = (DOCS / f"{r['rule']}.md").read_text(encoding="utf-8")
        assert f"Shipped version {r['version']}," in page, f"docs/rules/{r['rule']}.md {STALE}"


def test_a_page_shows_the_header_triggers_alerts_and_sqlstates_of_its_source(tmp_path, monkeypatch):
    triggers = tmp_path / "sql" / "triggers"
    (tmp_path / "sql" / "functions" / "flag_helper").mkdir(parents=True)
    triggers.mkdir()
    (triggers / "sample_rule.revert.sql").write_text("DROP FUNCTION dbguard.tg_sample();\n", encoding="utf-8")
    (triggers / "_partial.sql").write_text("-- rule: not_a_rule\n", encoding="utf-8")
    (triggers / "sample_rule.sql").write_text(
        "-- rule: sample_rule\n-- version: 3\n-- tables: public.calls\n-- timing: before insert\n"
        "-- guarantees: a call is sampled.\n-- modes: correct samples it; enforce refuses it.\n\n"
        "-- Samples every call.\n-- v2: an old version.\n\n"
        "CREATE OR REPLACE FUNCTION dbguard.tg_sample() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  PERFORM dbguard.rule_violation('sample_rule', 'enforce', '23Q06',\n"
        "    CASE WHEN NEW.x = 'y' THEN 'sample_mismatch' ELSE 'sample_other' END, 'call', NEW.id::text);\n"
        "  PERFORM dbguard.flag_helper();  -- '23Q05' in a comment does not count\n"
        "  RETURN NEW;\nEND $$;\n"
        "CREATE OR REPLACE TRIGGER dbguard_100_sample\n    BEFORE INSERT ON public.calls\n"
        "    FOR EACH ROW EXECUTE FUNCTION dbguard.tg_sample();\n", encoding="utf-8")
    (tmp_path / "sql" / "functions" / "flag_helper" / "v1.sql").write_text(
        "-- helper\nCREATE FUNCTION dbguard.flag_helper() RETURNS void LANGUAGE plpgsql AS $$\n"
        "BEGIN PERFORM dbguard.raise_alert('sample_flagged', 'info', 'call', '1', 'x');\n"
        "RAISE EXCEPTION 'no' USING ERRCODE = '23Q08'; END $$;\n", encoding="utf-8")
    (tmp_path / "sql" / "functions" / "flag_helper" / "v2.sql").write_text(
        "CREATE FUNCTION dbguard.flag_helper() RETURNS void LANGUAGE sql AS $$ SELECT $$;\n", encoding="utf-8")
    monkeypatch.setattr(rule_docs, "sql_dir", lambda: tmp_path / "sql")

    assert list(rule_docs.rule_sources()) == ["sample_rule"]
    page = rule_docs.generate("sample_rule", "Hand-written.")
    for expected in ("# Rule `sample_rule`", "Shipped version 3.", "a call is sampled.",
                     "**Tables:** public.calls", "**Timing:** before insert",
                     "correct samples it; enforce refuses it.", "Samples every call.",
                     "| `dbguard_100_sample` | `public.calls` | BEFORE INSERT | row |",
                     "`sample_mismatch`, `sample_other`", "| `23Q06` | `FlagMismatch` | the rule |",
                     "<!-- notes -->\nHand-written.\n<!-- /notes -->"):
        assert expected in page, expected
    # history, commented-out codes and an older helper version stay out
    assert "old version" not in page and "23Q05" not in page and "23Q08" not in page
    assert "sample_flagged" not in page

    out = tmp_path / "docs"
    (out).mkdir()
    (out / "sample_rule.md").write_text(page.replace("Hand-written.", "Kept by hand."), encoding="utf-8")
    rule_docs.write(out)
    assert "<!-- notes -->\nKept by hand.\n<!-- /notes -->" in (out / "sample_rule.md").read_text(encoding="utf-8")


def test_a_header_without_optional_keys_still_renders(tmp_path, monkeypatch):
    folder = tmp_path / "sql" / "triggers" / "bare_rule"
    folder.mkdir(parents=True)
    (folder / "v1.sql").write_text("-- rule: bare_rule\nSELECT 1;\n", encoding="utf-8")
    (folder / "v2.sql").write_text("-- rule: bare_rule\n-- version: 2\nSELECT 1;\n", encoding="utf-8")
    monkeypatch.setattr(rule_docs, "sql_dir", lambda: tmp_path / "sql")
    page = rule_docs.generate("bare_rule")
    assert "Shipped version 2." in page and "## What it guarantees" not in page
    assert "It raises no error of its own." in page and "<!-- notes -->\n<!-- /notes -->" in page


def test_render_rule_docs_writes_the_pages_and_refuses_a_file(tmp_path):
    from click.testing import CliRunner
    result = CliRunner().invoke(cli, ["render", "--rule-docs", str(tmp_path / "rules")])
    assert result.exit_code == 0, result.output
    assert {p.stem for p in (tmp_path / "rules").glob("*.md")} == set(shipped_rules())
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(cli, ["render", "--rule-docs", str(tmp_path / "file")])
    assert result.exit_code == 2 and "Traceback" not in result.output
