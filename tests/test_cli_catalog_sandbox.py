"""Catalog templates render in jinja2's sandbox: a user rule that reaches for
Python objects is refused with a clear error, and runs no code."""

from __future__ import annotations

import pytest

from dbguard.catalog import CatalogError, load_catalog
from tests.cli_run import in_process

HEADER = """-- rule: {name}
-- severity: warning
-- entity: calls
-- description: a user rule
-- fix: manual review
-- @detect
"""
DETECT = ("SELECT c.id AS entity_id, c.company_id, c.id AS call_id, c.created_at, '{{}}'::jsonb AS details\n"
          "  FROM {{{{ domain_schema }}}}.calls c WHERE {where}\n")


def write_rule(directory, name, where):
    (directory / f"{name}.sql.j2").write_text(HEADER.format(name=name) + DETECT.format(where=where))


@pytest.fixture
def escape(tmp_path):
    """A template that, outside the sandbox, writes a file through Python's builtins."""
    marker = tmp_path / "escaped"
    write_rule(tmp_path, "escape_attempt",
               "'{{ self.__init__.__globals__.__builtins__.open('%s', 'w').write('x') }}' = ''" % marker)
    return tmp_path, marker


@pytest.mark.parametrize("command", [["render"], ["render", "--docs"], ["check"], ["reconcile", "--dry-run"]])
def test_a_template_escaping_the_sandbox_is_refused_and_runs_nothing(capsys, dsn, escape, command):
    directory, marker = escape
    result = in_process(capsys, "--dsn", dsn, *command, "--catalog-dir", str(directory))
    assert result.code == 2
    assert "escape_attempt.sql.j2: refused by the template sandbox" in result.err
    assert "Traceback" not in result.err
    assert not marker.exists()


def test_an_undefined_template_variable_is_a_clear_error(tmp_path):
    write_rule(tmp_path, "typo_rule", "c.company_id = {{ company }}")
    rule = next(r for r in load_catalog(tmp_path) if r.name == "typo_rule")
    with pytest.raises(CatalogError, match=r"typo_rule.sql.j2.*cannot render the template: 'company' is undefined"):
        rule.detect_sql()


def test_a_well_behaved_user_rule_still_renders_and_runs(capsys, dsn, tmp_path):
    write_rule(tmp_path, "all_calls_without_branch", "c.branch_id IS NULL AND '{{ rule }}' <> ''")
    result = in_process(capsys, "--dsn", dsn, "check", "--catalog-dir", str(tmp_path), "--rule",
                        "all_calls_without_branch")
    assert result.code == 0, result.err
    assert "all_calls_without_branch" in result.out


def test_a_catalog_file_that_is_not_utf8_is_named_in_a_clear_error(capsys, tmp_path):
    (tmp_path / "latin1_rule.sql.j2").write_bytes(HEADER.format(name="latin1_rule").encode() + b"-- caf\xe9\n")
    result = in_process(capsys, "render", "--catalog-dir", str(tmp_path))
    assert result.code == 2
    assert "latin1_rule.sql.j2: cannot read the rule file" in result.err and "internal error" not in result.err
