"""Building blocks for the migration files in migrations/.

A migration names exact files and versions; the SQL itself lives under sql/:

    sql/schema/NNNN_name.sql  + .revert.sql   tables, views, lookup data
    sql/functions/<name>/vN.sql                one function per file
    sql/triggers/<rule>/vN.sql + revert.sql    one rule: its function and trigger

Files that an applied migration used are never edited: a change is a new
version file and a new migration, whose rollback re-installs the old version.
Each helper returns ``(apply_sql, rollback_sql)`` for yoyo's ``step()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import sql

from .resources import read_sql, sha256

_HEADER = re.compile(r"^--\s*(rule|version|function|guarantees):\s*(.+?)\s*$", re.MULTILINE)
_TRIGGER = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(\w+)\s.*?\bON\s+([\w.]+)",
                      re.IGNORECASE | re.DOTALL)


def schema(name: str) -> tuple[str, str]:
    """``sql/schema/<name>.sql`` and its ``.revert.sql``."""
    return read_sql(f"schema/{name}.sql"), read_sql(f"schema/{name}.revert.sql")


def schema_statements(name: str) -> list[tuple[str, str | None]]:
    """One step per statement, for migrations that cannot run in a transaction
    (CREATE INDEX CONCURRENTLY). Rollback statements pair up in reverse order."""
    apply_sql, revert_sql = schema(name)
    # yoyo rolls back steps last-first; reversing keeps the revert file's order.
    return [(s, None) for s in split(apply_sql)] + [(None, s) for s in reversed(split(revert_sql))]


_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\uffff][\w\x80-\uffff]*)?\$")


def _statements(text: str) -> list[tuple[str, str]]:
    """``(statement, statement without comments)`` for each ``;``-terminated statement.

    A small lexer for what PostgreSQL scripts contain: ``--`` and nested ``/* */``
    comments, '' strings (E'' with backslash escapes), "" identifiers and
    $tag$ bodies. It only finds statement boundaries; the server parses."""
    out: list[tuple[str, str]] = []
    start = i = 0
    code: list[str] = []
    n = len(text)
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            code.append(" ")
            continue
        if c == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            code.append(" ")
            continue
        j = i + 1
        if c == "'":
            escapes = i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            while j < n:
                if escapes and text[j] == "\\":
                    j += 2
                elif text[j] == "'":
                    if text.startswith("''", j):
                        j += 2
                    else:
                        j += 1
                        break
                else:
                    j += 1
        elif c == '"':
            while j < n:
                if text.startswith('""', j):
                    j += 2
                elif text[j] == '"':
                    j += 1
                    break
                else:
                    j += 1
        elif c == "$" and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_$")):
            m = _DOLLAR_TAG.match(text, i)
            if m:
                end = text.find(m.group(0), m.end())
                j = n if end < 0 else end + len(m.group(0))
        elif c == ";":
            out.append((text[start:j].strip(), "".join(code).strip() + ";"))
            start, code = j, []
            i = j
            continue
        code.append(text[i:j])
        i = j
    if text[start:].strip():
        out.append((text[start:].strip(), "".join(code).strip()))
    return out


def split(text: str) -> list[str]:
    """The statements of an SQL script, comment-only pieces left out."""
    return [original for original, code in _statements(text) if code.strip(" ;")]


def functions(*names: str, version: int = 1) -> tuple[str, str]:
    """Install ``sql/functions/<name>/v<version>.sql`` for each name, in order.

    For version 1 the rollback drops the functions; for later versions it
    re-installs version ``version - 1``."""
    apply_sql = "\n".join(read_sql(f"functions/{n}/v{version}.sql") for n in names)
    if version == 1:
        rollback = "\n".join(f"DROP FUNCTION IF EXISTS dbguard.{n};" for n in reversed(names))
    else:
        rollback = "\n".join(read_sql(f"functions/{n}/v{version - 1}.sql") for n in names)
    return apply_sql, rollback


@dataclass(frozen=True)
class RuleVersion:
    rule: str
    version: int
    function: str
    guarantees: str
    source: str

    @classmethod
    def load(cls, rule: str, version: int) -> "RuleVersion":
        path = f"triggers/{rule}/v{version}.sql"
        source = read_sql(path)
        header = dict(_HEADER.findall(source))
        missing = {"rule", "version", "function", "guarantees"} - header.keys()
        if missing:
            raise ValueError(f"sql/{path}: header lacks {', '.join(sorted(missing))}")
        if header["rule"] != rule or int(header["version"]) != version:
            raise ValueError(f"sql/{path}: header says {header['rule']} v{header['version']}")
        return cls(rule, version, header["function"], header["guarantees"], source)

    def install_sql(self) -> str:
        register = sql.SQL("SELECT dbguard.register_rule({}, {}, {}::regprocedure, {}, {});").format(
            sql.Literal(self.rule),
            sql.Literal(self.version),
            sql.Literal(self.function),
            sql.Literal(sha256(self.source)),
            sql.Literal(self.guarantees),
        )
        return self.source.rstrip() + "\n\n" + register.as_string(None) + "\n"

    def triggers(self) -> set[tuple[str, str]]:
        """(trigger, table) of every trigger this version creates."""
        found = set()
        for _original, code in _statements(self.source):
            m = _TRIGGER.match(code)
            if m:
                found.add((m.group(1), m.group(2)))
        return found


def _drop_triggers(triggers: set[tuple[str, str]]) -> str:
    return "".join(
        sql.SQL("DROP TRIGGER IF EXISTS {} ON {};\n").format(sql.Identifier(name), sql.Identifier(*table.split(".")))
        .as_string(None) for name, table in sorted(triggers))


def rule(name: str, version: int) -> tuple[str, str]:
    """Install version ``version`` of a rule; rollback restores the previous
    version, or removes the rule entirely when rolling back version 1.

    A trigger that only one of the two versions has (a trigger split in two,
    say) is dropped when switching to the version without it, so that a rule
    never fires twice for one event."""
    new = RuleVersion.load(name, version)
    if version == 1:
        return new.install_sql(), read_sql(f"triggers/{name}/revert.sql")
    old = RuleVersion.load(name, version - 1)
    return (_drop_triggers(old.triggers() - new.triggers()) + new.install_sql(),
            _drop_triggers(new.triggers() - old.triggers()) + old.install_sql())
