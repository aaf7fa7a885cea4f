"""The rule compiler: rule sources into one trigger function per table and timing.

A compiled rule lives in ``sql/triggers/<rule>.sql``. Its header says what it
is (a docs generator reads these keys)::

    -- rule: outcome_flag_sync
    -- version: 7
    -- tables: calls
    -- timing: before insert or update on calls
    -- guarantees: one line
    -- modes: one line: what off / alert / correct / enforce do

then, after an optional comment on *why* the code is as it is, one fragment
per table and timing::

    -- fragment: calls before row 300           table, timing, firing order
    -- insert when: <built-in-only condition>   fires on insert (optional fast path)
    -- update of: session_outcome, appointment_made
    -- update when: <condition>                 fires when a listed column changed
    DECLARE ... BEGIN ... END                   PL/pgSQL that reads and assigns NEW/OLD

(``-- insert:`` / ``-- delete:`` without a condition fire on every insert or
delete.) A fragment body is a jinja2 template (``StrictUndefined``) whose one
variable is ``mode`` ('alert', 'correct' or 'enforce'): the mode is compiled
in, and a rule in 'off' has no code at all.

At install the compiler renders each fragment once per mode into
``dbguard.rule_fragments``; its ``RETURN NEW`` becomes ``EXIT <rule>`` (in an
AFTER fragment every RETURN does), so that in the assembled function NEW flows
from one rule's block to the next exactly as through a chain of triggers.
``dbguard.compile_rules()`` (sql/functions/compile_rules.sql) assembles, for
the modes in ``dbguard.rule_settings``, one SECURITY DEFINER function
``dbguard.tg_<table>__<timing>()`` with the TG_RELID check once and each
fragment as a labeled block in firing order, entered when its event, its
watched columns (for an update: one of them changed) and its fast path say so;
and one trigger ``dbguard_<NNN>_<timing>`` (NNN: the group's lowest fragment
order, so it fires where its first rule fired), ``UPDATE OF`` the union of the
fragments' columns, without a WHEN clause (measured: a WHEN clause is prepared
for every statement and costs more than the call it saves). The trigger does
not depend on the modes (only the function does), so a mode change locks no
table; with every rule of a group off there is neither function nor trigger.
It runs in the transaction that writes
``dbguard.rule_settings`` (a trigger on that table), so ``rules set-mode`` and
a DBA's plain UPDATE both recompile, and a ROLLBACK restores the old code.
Assembly lives in SQL only; ``dbguard render --rules`` prints what it produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import jinja2
import psycopg
from psycopg import sql

from .resources import read_sql, sha256, sql_dir

COMPILED_MODES = ("alert", "correct", "enforce")
DOMAIN_SCHEMA = "public"

_HEADER = re.compile(r"^--\s*(rule|version|tables|timing|guarantees|modes):\s*(.+?)\s*$", re.MULTILINE)
_FRAGMENT = re.compile(r"^--\s*fragment:\s*(\w+)\s+(before|after)\s+row\s+(\d+)\s*$", re.MULTILINE)
_OPTION = re.compile(r"--\s*(insert when|insert|update of|update when|delete when|delete):\s*(.*?)\s*$")
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


@dataclass(frozen=True)
class Fragment:
    rule: str
    table: str
    timing: str            # 'before_row' or 'after_row'
    order: int
    template: str
    on_insert: bool = False
    insert_when: str | None = None
    update_of: tuple[str, ...] = ()
    update_when: str | None = None
    on_delete: bool = False
    delete_when: str | None = None

    def render(self, mode: str) -> str:
        """The fragment's PL/pgSQL for one mode, its exits made block exits."""
        body = _ENV.from_string(self.template).render(mode=mode).strip("\n")
        returns = r"\bRETURN\s+(?:NEW|OLD|NULL)\s*;" if self.timing == "after_row" else r"\bRETURN\s+NEW\s*;"
        body = re.sub(returns, f"EXIT {self.rule};", body)
        stray = re.search(r"\bRETURN\b(?!\s+NULL\s*;)", body, flags=re.IGNORECASE)
        if stray:
            raise ValueError(f"sql/triggers/{self.rule}.sql: a {self.timing} fragment may only RETURN NEW"
                             f"{'' if self.timing == 'after_row' else ' or NULL'}; found {body[stray.start():][:40]!r}")
        if not re.search(r"\bEND\s*$", body):
            raise ValueError(f"sql/triggers/{self.rule}.sql: a fragment ends with the END of its block")
        return body


@dataclass(frozen=True)
class RuleSource:
    rule: str
    version: int
    tables: str
    timing: str
    guarantees: str
    modes: str
    source: str
    fragments: tuple[Fragment, ...] = field(default=())

    @property
    def checksum(self) -> str:
        return sha256(self.source)


def _parse(rule: str, source: str) -> RuleSource:
    path = f"sql/triggers/{rule}.sql"
    header = dict(_HEADER.findall(source.split("-- fragment:")[0]))
    missing = {"rule", "version", "tables", "timing", "guarantees", "modes"} - header.keys()
    if missing:
        raise ValueError(f"{path}: header lacks {', '.join(sorted(missing))}")
    if header["rule"] != rule:
        raise ValueError(f"{path}: header names rule {header['rule']!r}")
    marks = list(_FRAGMENT.finditer(source))
    if not marks:
        raise ValueError(f"{path}: no '-- fragment: <table> before|after row <order>' line")
    fragments = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(source)
        lines = source[m.end():end].lstrip("\n").splitlines(keepends=True)
        options: dict[str, str] = {}
        while lines and (o := _OPTION.fullmatch(lines[0].rstrip("\n"))):
            options[o.group(1)] = o.group(2)
            lines.pop(0)
        if not ({"insert", "insert when", "update of", "delete", "delete when"} & options.keys()):
            raise ValueError(f"{path}: fragment {m.group(0)!r} names no event (insert, update of, delete)")
        fragments.append(Fragment(
            rule=rule, table=f"{DOMAIN_SCHEMA}.{m.group(1)}", timing=f"{m.group(2)}_row", order=int(m.group(3)),
            template="".join(lines),
            on_insert="insert" in options or "insert when" in options,
            insert_when=options.get("insert when") or None,
            update_of=tuple(c.strip() for c in options.get("update of", "").split(",") if c.strip()),
            update_when=options.get("update when") or None,
            on_delete="delete" in options or "delete when" in options,
            delete_when=options.get("delete when") or None))
    return RuleSource(rule, int(header["version"]), header["tables"], header["timing"], header["guarantees"],
                      header["modes"], source, tuple(fragments))


@lru_cache(maxsize=None)
def load(rule: str) -> RuleSource:
    """The compiled source of ``rule`` (``sql/triggers/<rule>.sql``)."""
    return _parse(rule, read_sql(f"triggers/{rule}.sql"))


def compiled_rule_names() -> list[str]:
    """The rules that ship as compiled sources, by name."""
    return sorted(p.stem for p in (sql_dir() / "triggers").glob("*.sql"))


def _previous(rule: str):
    """The newest per-rule version of a rule (what the compiled form replaces)."""
    from .steps import RuleVersion

    versions = [int(m.group(1)) for f in (sql_dir() / "triggers" / rule).glob("v*.sql")
                if (m := re.fullmatch(r"v(\d+)\.sql", f.name))]
    return RuleVersion.load(rule, max(versions)) if versions else None


def _q(composable: sql.Composable) -> str:
    return composable.as_string(None)


def _drop_groups(rules: list[RuleSource], functions: bool) -> str:
    """Drops the compiled triggers (and with ``functions`` the functions) of the
    tables and timings these rules take part in. A group's trigger is named
    after the lowest order of every compiled source in it."""
    every = [load(r) for r in compiled_rule_names()]
    orders: dict[tuple[str, str], int] = {}
    for f in (f for r in every + rules for f in r.fragments):
        orders[(f.table, f.timing)] = min(f.order, orders.get((f.table, f.timing), f.order))
    out = []
    for table, timing in sorted({(f.table, f.timing) for r in rules for f in r.fragments}):
        schema, name = table.split(".")
        out.append(_q(sql.SQL("DROP TRIGGER IF EXISTS {} ON {};\n").format(
            sql.Identifier(f"dbguard_{orders[(table, timing)]:03d}_{timing}"), sql.Identifier(schema, name))))
        if functions:
            out.append(_q(sql.SQL("DROP FUNCTION IF EXISTS {}();\n").format(
                sql.Identifier("dbguard", f"tg_{name}__{timing}"))))
    return "".join(out)


def objects_sql() -> str:
    """The compiler's own objects: ``dbguard.rule_fragments``, the rule status
    that knows compiled rules, and ``dbguard.compile_rules()`` with its trigger
    on ``dbguard.rule_settings``. Install before :func:`install_sql`."""
    return read_sql("schema/0900_compiled_rules.sql") + "\n" + read_sql("functions/compile_rules.sql")


def install_sql(rules: list[str] | None = None) -> str:
    """SQL that installs the compiled form of ``rules`` (default: every compiled
    source): the per-rule triggers and function they replace are dropped, their
    fragments stored per mode, their ``installed_rules`` rows written, and
    ``dbguard.compile_rules()`` run. Needs sql/schema/0900_compiled_rules.sql
    and sql/functions/compile_rules.sql installed first."""
    sources = [load(r) for r in (rules if rules is not None else compiled_rule_names())]
    # The compiled triggers are re-created: a source may have changed their events.
    out = [_drop_groups(sources, functions=False)]
    for src in sources:
        old = _previous(src.rule)
        if old is not None:
            for trigger, table in sorted(old.triggers()):
                out.append(_q(sql.SQL("DROP TRIGGER IF EXISTS {} ON {};\n").format(
                    sql.Identifier(trigger), sql.Identifier(*table.split(".")))))
            out.append(f"DROP FUNCTION IF EXISTS {old.function};\n")
        out.append(_q(sql.SQL("DELETE FROM dbguard.rule_fragments WHERE rule = {};\n").format(sql.Literal(src.rule))))
        for f in src.fragments:
            for mode in COMPILED_MODES:
                out.append(_q(sql.SQL(
                    "INSERT INTO dbguard.rule_fragments (rule, table_name, timing, mode, trigger_order, on_insert, "
                    "insert_when, update_of, update_when, on_delete, delete_when, body)\n"
                    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}::text[], {}, {}, {}, {});\n").format(
                    sql.Literal(src.rule), sql.Literal(f.table), sql.Literal(f.timing), sql.Literal(mode),
                    sql.Literal(f.order), sql.Literal(f.on_insert), sql.Literal(f.insert_when),
                    sql.Literal(list(f.update_of) or None), sql.Literal(f.update_when), sql.Literal(f.on_delete),
                    sql.Literal(f.delete_when), sql.Literal(f.render(mode)))))
        first = min(src.fragments, key=lambda f: f.order)
        out.append(_q(sql.SQL(
            "INSERT INTO dbguard.installed_rules AS r (rule, version, function_name, definition_md5, source_sha256, "
            "description)\nVALUES ({}, {}, {}, '', {}, {})\nON CONFLICT (rule) DO UPDATE SET version = EXCLUDED.version, "
            "function_name = EXCLUDED.function_name, source_sha256 = EXCLUDED.source_sha256, "
            "description = EXCLUDED.description, installed_at = pg_catalog.now();\n").format(
            sql.Literal(src.rule), sql.Literal(src.version),
            sql.Literal(f"dbguard.tg_{first.table.split('.')[1]}__{first.timing}()"),
            sql.Literal(src.checksum), sql.Literal(src.guarantees))))
        out.append(_q(sql.SQL("INSERT INTO dbguard.rule_settings (rule) VALUES ({}) ON CONFLICT (rule) DO NOTHING;\n")
                      .format(sql.Literal(src.rule))))
    out.append("SELECT dbguard.compile_rules();\n")
    return "".join(out)


def uninstall_sql(rules: list[str] | None = None) -> str:
    """SQL that puts ``rules`` back to per-rule installation (their newest
    ``sql/triggers/<rule>/vN.sql``): the rollback of :func:`install_sql`."""
    sources = [load(r) for r in (rules if rules is not None else compiled_rule_names())]
    out = [_drop_groups(sources, functions=True)]
    for src in sources:
        out.append(_q(sql.SQL("DELETE FROM dbguard.rule_fragments WHERE rule = {};\n").format(sql.Literal(src.rule))))
    out.append("SELECT dbguard.compile_rules();\n")
    for src in sources:
        old = _previous(src.rule)
        if old is not None:
            out.append(old.install_sql())
    return "".join(out)


def render_rules(conn: psycopg.Connection) -> str:
    """The compiled functions and triggers for this database's modes, as
    ``dbguard.compile_rules()`` installs them (a reviewable script)."""
    rows = conn.execute("SELECT table_name::text, timing, statements || trigger_statements "
                        "FROM dbguard.compiled_rules() ORDER BY 1, 2").fetchall()
    out = []
    for table, timing, statements in rows:
        out.append(f"-- {table}, {timing.replace('_', ' ')}\n")
        out.extend(s + ";\n\n" for s in statements)
    return "".join(out)


def compile_rules(conn: psycopg.Connection) -> list[dict]:
    """Recompile every compiled rule for the modes in ``dbguard.rule_settings``."""
    with conn.transaction():
        conn.execute("SELECT dbguard.compile_rules()")
        rows = conn.execute(
            "SELECT table_name::text, timing, function_name, function_body IS NOT NULL, "
            "ARRAY(SELECT substring(s FROM '^CREATE OR REPLACE TRIGGER (\\w+)') FROM unnest(trigger_statements) s) "
            "FROM dbguard.compiled_rules() ORDER BY 1, 2").fetchall()
    return [{"table": t, "timing": tm, "function": f, "installed": on, "triggers": tg} for t, tm, f, on, tg in rows]
