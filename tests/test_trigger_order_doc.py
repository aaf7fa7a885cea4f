"""docs/concepts.md's trigger order table says what a migrated database has installed: every
dbguard trigger of the domain tables and every compiled rule's block, with its number and rule,
and nothing that is not installed."""

from __future__ import annotations

import re
from pathlib import Path

CONCEPTS = Path(__file__).resolve().parent.parent / "docs" / "concepts.md"
ROW = re.compile(r"^\| (\w+) \| (.+?) \| (\d{3}) \| (\w+)(?: \(.*\))? \|$")


def _documented() -> list[tuple[str, str, str, str]]:
    """(table, timing text, number, rule) of each row of the table under 'The trigger order'."""
    text = CONCEPTS.read_text(encoding="utf-8")
    section = text[text.index("## The trigger order"):]
    section = section[:section.index("\n## ", 3)]
    return [m.groups() for line in section.splitlines() if (m := ROW.match(line))]


def test_each_compiled_block_is_documented_with_its_trigger_number_and_rule(conn):
    installed = {(table, f"`{trigger}`", f"{order:03d}", rule) for table, trigger, order, rule in conn.execute(
        """SELECT c.relname::text, x.trigger_name, f.trigger_order, f.rule
             FROM dbguard.rule_fragments f
             JOIN pg_class c ON c.oid = f.table_name
             JOIN dbguard.compiled_rules() x ON x.table_name = f.table_name AND x.timing = f.timing
            WHERE f.mode = 'correct'""")}
    documented = {(table, m.group(1), number, rule) for table, timing, number, rule in _documented()
                  if (m := re.search(r"\(compiled: (`\w+`)\)", timing))}
    assert installed and documented == installed


def test_each_trigger_of_its_own_is_documented_with_its_number_and_rule(conn):
    # A rule's own trigger is dbguard_<NNN>_<rule>[_suffix]: its number and rule are in the name.
    installed = set()
    for table, name in conn.execute(
            """SELECT c.relname::text, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE NOT t.tgisinternal AND t.tgname LIKE 'dbguard\\_%'
                  AND c.relnamespace = 'public'::regnamespace"""):
        m = re.fullmatch(r"dbguard_(\d{3})_(\w+)", name)
        if m.group(2) in ("before_row", "after_row"):
            continue
        rule = next(r for (r,) in conn.execute("SELECT rule FROM dbguard.installed_rules ORDER BY length(rule) DESC")
                    if m.group(2) == r or m.group(2).startswith(r + "_"))
        installed.add((table, m.group(1), rule))
    documented = {(table, number, rule) for table, timing, number, rule in _documented() if "(compiled:" not in timing}
    assert installed and documented == installed
