"""The rule compiler: rule sources into one trigger function per table and timing.

A compiled rule lives in ``sql/triggers/<rule>.sql``. Its header says what it
is (the docs generator, src/dbguard/rule_docs.py, reads these keys)::

    -- rule: outcome_flag_sync
    -- version: 7
    -- tables: calls
    -- timing: before insert or update on calls
    -- guarantees: one line
    -- modes: one line: what off / alert / correct / enforce do

then, after comment lines on *why* the code is as it is, one fragment per
table and timing::

    -- fragment: calls before row 300           table, timing, firing order
    -- insert when: <built-in-only condition>   fires on insert (optional fast path)
    -- update of: session_outcome, appointment_made
    -- update when: <condition>                 fires when a listed column changed
    DECLARE ... BEGIN ... END                   PL/pgSQL that reads and assigns NEW/OLD

(``-- insert:`` / ``-- update:`` / ``-- delete:`` without a condition fire on
every insert, update or delete.) A fragment body is a jinja2 template
(``StrictUndefined``) whose one variable is ``mode`` ('alert', 'correct' or
'enforce'): the mode is compiled in, and a rule in 'off' has no code at all.

At install the compiler renders each fragment once per mode into
``dbguard.rule_fragments``; its ``RETURN NEW`` becomes ``EXIT <rule>`` (in an
AFTER fragment every RETURN does), so that in the assembled function NEW flows
from one rule's block to the next exactly as through a chain of triggers.
``dbguard.compile_rules()`` (sql/functions/compile_rules.sql) assembles, for
the modes in ``dbguard.rule_settings``, one SECURITY DEFINER function
``dbguard.tg_<table>__<timing>()`` and one trigger ``dbguard_<NNN>_<timing>``
(see sql/functions/compiled_rules.sql). It runs in the transaction that writes
``dbguard.rule_settings`` (a trigger on that table), so ``rules set-mode`` and
a DBA's plain UPDATE both recompile, and a ROLLBACK restores the old code.
Assembly lives in SQL only; ``dbguard render --rules`` prints what it produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jinja2
import psycopg
from psycopg import sql

COMPILED_MODES = ("alert", "correct", "enforce")
DOMAIN_SCHEMA = "public"

FRAGMENT = re.compile(r"^--\s*fragment:\s*(\w+)\s+(before|after)\s+row\s+(\d+)\s*$", re.MULTILINE)
_OPTION = re.compile(r"--\s*(insert when|insert|update of|update when|update|delete when|delete):\s*(.*?)\s*$")
# The trigger a compiled group installs: dbguard_<NNN>_before_row / _after_row.
COMPILED_TRIGGER = re.compile(r"dbguard_\d{3}_(?:before|after)_row")
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def render_template(template: str, mode: str) -> str:
    """A rule source (or fragment) with its mode compiled in."""
    return _ENV.from_string(template).render(mode=mode)


@dataclass(frozen=True)
class Fragment:
    rule: str
    table: str             # schema.table
    timing: str            # 'before_row' or 'after_row'
    order: int
    template: str
    on_insert: bool = False
    insert_when: str | None = None
    on_update: bool = False
    update_of: tuple[str, ...] = ()
    update_when: str | None = None
    on_delete: bool = False
    delete_when: str | None = None

    @property
    def function(self) -> str:
        return f"dbguard.tg_{self.table.split('.')[1]}__{self.timing}()"

    def render(self, mode: str) -> str:
        """The fragment's PL/pgSQL for one mode, its exits made block exits."""
        body = render_template(self.template, mode).strip("\n")
        returns = r"\bRETURN\s+(?:NEW|OLD|NULL)\s*;" if self.timing == "after_row" else r"\bRETURN\s+NEW\s*;"
        body = re.sub(returns, f"EXIT {self.rule};", body)
        stray = re.search(r"\bRETURN\b(?!\s+NULL\s*;)", body, flags=re.IGNORECASE)
        if stray:
            raise ValueError(f"sql/triggers/{self.rule}.sql: a {self.timing} fragment may only RETURN NEW"
                             f"{'' if self.timing == 'after_row' else ' or NULL'}; found {body[stray.start():][:40]!r}")
        if not re.search(r"\bEND\s*$", body):
            raise ValueError(f"sql/triggers/{self.rule}.sql: a fragment ends with the END of its block")
        if "$compiled$" in body:
            raise ValueError(f"sql/triggers/{self.rule}.sql: a fragment may not contain $compiled$ "
                             "(the dollar quote of the compiled function)")
        return body


def parse_fragments(rule: str, source: str) -> tuple[Fragment, ...]:
    """The fragments of a compiled rule's source (none for a rule with triggers of its own)."""
    path = f"sql/triggers/{rule}.sql"
    marks = list(FRAGMENT.finditer(source))
    fragments = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(source)
        lines = source[m.end():end].lstrip("\n").splitlines(keepends=True)
        options: dict[str, str] = {}
        while lines and (o := _OPTION.fullmatch(lines[0].rstrip("\n"))):
            options[o.group(1)] = o.group(2)
            lines.pop(0)
        if not ({"insert", "insert when", "update", "update of", "delete", "delete when"} & options.keys()):
            raise ValueError(f"{path}: fragment {m.group(0)!r} names no event (insert, update, update of, delete)")
        update_of = tuple(c.strip() for c in options.get("update of", "").split(",") if c.strip())
        for column in update_of:
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", column):
                raise ValueError(f"{path}: 'update of' names {column!r}, not a column name")
        fragments.append(Fragment(
            rule=rule, table=f"{DOMAIN_SCHEMA}.{m.group(1)}", timing=f"{m.group(2)}_row", order=int(m.group(3)),
            template="".join(lines),
            on_insert="insert" in options or "insert when" in options,
            insert_when=options.get("insert when") or None,
            on_update=bool({"update", "update of", "update when"} & options.keys()),
            update_of=update_of,
            update_when=options.get("update when") or None,
            on_delete="delete" in options or "delete when" in options,
            delete_when=options.get("delete when") or None))
    return tuple(fragments)


def _q(composable: sql.Composable) -> str:
    return composable.as_string(None)


def install_sql(rule: str, version: int, checksum: str, guarantees: str, fragments: tuple[Fragment, ...]) -> str:
    """SQL that installs a compiled rule: its fragments stored per mode, its
    ``installed_rules`` and ``rule_settings`` rows, then ``dbguard.compile_rules()``
    (which records the compiled function's fingerprint and triggers)."""
    out = [_q(sql.SQL("DELETE FROM dbguard.rule_fragments WHERE rule = {};\n").format(sql.Literal(rule)))]
    for f in fragments:
        for mode in COMPILED_MODES:
            out.append(_q(sql.SQL(
                "INSERT INTO dbguard.rule_fragments (rule, table_name, timing, mode, trigger_order, on_insert, "
                "insert_when, on_update, update_of, update_when, on_delete, delete_when, body)\n"
                "VALUES ({}, {}::regclass, {}, {}, {}, {}, {}, {}, {}::text[], {}, {}, {}, {});\n").format(
                sql.Literal(rule), sql.Literal(f.table), sql.Literal(f.timing), sql.Literal(mode),
                sql.Literal(f.order), sql.Literal(f.on_insert), sql.Literal(f.insert_when),
                sql.Literal(f.on_update), sql.Literal(list(f.update_of) or None), sql.Literal(f.update_when),
                sql.Literal(f.on_delete), sql.Literal(f.delete_when), sql.Literal(f.render(mode)))))
    first = min(fragments, key=lambda f: (f.timing != "before_row", f.order, f.table))
    out.append(_q(sql.SQL(
        "INSERT INTO dbguard.installed_rules AS r (rule, version, function_name, definition_md5, source_sha256, "
        "description)\nVALUES ({}, {}, {}, '', {}, {})\nON CONFLICT (rule) DO UPDATE SET version = EXCLUDED.version, "
        "function_name = EXCLUDED.function_name, source_sha256 = EXCLUDED.source_sha256, "
        "description = EXCLUDED.description, installed_at = pg_catalog.now();\n").format(
        sql.Literal(rule), sql.Literal(version), sql.Literal(first.function), sql.Literal(checksum),
        sql.Literal(guarantees))))
    # The settings row's trigger recompiles; the explicit call also covers a
    # database whose trigger on rule_settings is not installed yet.
    out.append(_q(sql.SQL("INSERT INTO dbguard.rule_settings (rule) VALUES ({}) ON CONFLICT (rule) DO NOTHING;\n")
                  .format(sql.Literal(rule))))
    out.append("SELECT dbguard.compile_rules();\n")
    return "".join(out)


def render_rules(conn: psycopg.Connection) -> str:
    """The compiled functions and triggers for this database's modes, and the
    functions of the rules with triggers of their own as rendered for theirs, as
    ``dbguard.compile_rules()`` installs them (a reviewable script)."""
    rows = conn.execute("SELECT table_name::text, timing, rules, statements, trigger_statement "
                        "FROM dbguard.compiled_rules() ORDER BY 1, 2").fetchall()
    out = []
    for table, timing, rules, statements, trigger in rows:
        out.append(f"-- {table}, {timing.replace('_', ' ')}: "
                   f"{', '.join(rules) if rules else 'every rule off (no function, no trigger)'}\n")
        out.extend(s + ";\n\n" for s in statements + ([trigger] if trigger else []))
    # The rules with triggers of their own: their functions as rendered for the mode.
    for rule, mode, statement in conn.execute(
            "SELECT f.rule, f.mode, f.statement FROM dbguard.rule_functions f "
            "WHERE f.mode = dbguard.compiled_mode(f.rule) ORDER BY f.rule, f.function_name"):
        out.append(f"-- {rule} ({mode}), a rule with triggers of its own\n{statement.rstrip().rstrip(';')};\n\n")
    return "".join(out)
