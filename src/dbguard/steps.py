"""Building blocks for the versioned migrations in migrations/.

A versioned migration names schema files under sql/schema/ (``<name>.sql`` and
its ``.revert.sql``); each helper returns ``(apply_sql, rollback_sql)`` for
yoyo's ``step()``. Functions, rules and audit views are repeatable objects,
installed by ``dbguard migrate`` after the migrations (dbguard.repeatable).
"""

from __future__ import annotations

import re

from .resources import read_sql

__all__ = ["functions", "read_sql", "schema", "schema_statements", "split", "statements"]



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


def statements(text: str) -> list[tuple[str, str]]:
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
    return [original for original, code in statements(text) if code.strip(" ;")]


def functions(*names: str) -> tuple[str, str]:
    """Install ``sql/functions/<name>.sql`` for each name, in order; the rollback drops them."""
    apply_sql = "\n".join(read_sql(f"functions/{n}.sql") for n in names)
    rollback = "\n".join(f"DROP FUNCTION IF EXISTS dbguard.{n};" for n in reversed(names))
    return apply_sql, rollback
