"""Repeatable objects: functions, rules and bookkeeping objects, re-installed by
``dbguard migrate`` after the versioned migrations whenever the shipped source
differs from what the database recorded (Flyway's repeatable migrations).

Order: the functions of sql/functions/ (bodies are not checked at creation, so
their order does not matter), then sql/schema/repeatable.sql (the objects that
call them: rule_status, the triggers on dbguard's own tables, the privilege
model), then the rules of sql/triggers/: a rule with ``-- fragment:`` sections
is compiled (dbguard.compiler: its fragments are stored per mode and
dbguard.compile_rules() assembles the trigger functions); any other creates its
own functions and triggers, and its functions that depend on the mode are stored
per mode for dbguard.compile_rules() to install. The audit views follow
(dbguard.views). ``dbguard.installed_objects`` records the
functions and repeatable.sql; ``dbguard.installed_rules`` records the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psycopg
from psycopg import sql

from . import compiler
from .resources import read_sql, sha256, sql_dir
from .steps import statements

# Called by the versioned migrations, so installed by the baseline (a release
# that changes one adds a migration), not re-installed here.
MIGRATION_HELPERS = frozenset({"add_constraint_if_missing", "assert_unique", "drop_invalid_index"})
SCHEMA_OBJECTS = "schema/repeatable.sql"

_HEADER = re.compile(r"^--\s*(rule|version|function|guarantees|tables|timing|modes):\s*(.+?)\s*$", re.MULTILINE)
_FUNCTION = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+FUNCTION\s+([\w.]+)\s*\(([^)]*)\)", re.IGNORECASE)
_TRIGGER = re.compile(r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(\w+)\s.*?\bON\s+([\w.]+)",
                      re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Object:
    kind: str      # function | schema | rule
    name: str
    checksum: str  # sha256 of the shipped source
    sql: str       # what installs it


@dataclass(frozen=True)
class Rule:
    rule: str
    version: int
    function: str
    guarantees: str
    source: str
    fragments: tuple[compiler.Fragment, ...] = ()

    @classmethod
    def load(cls, rule: str, source: str | None = None) -> "Rule":
        path = f"triggers/{rule}.sql"
        source = read_sql(path) if source is None else source
        fragments = compiler.parse_fragments(rule, source)
        # The header is what precedes the first fragment: a fragment's body may hold any comment.
        head = source[:m.start()] if (m := compiler.FRAGMENT.search(source)) else source
        header = dict(_HEADER.findall(head))
        required = {"rule", "version", "guarantees"} | ({"tables", "timing", "modes"} if fragments else {"function"})
        missing = required - header.keys()
        if missing:
            raise ValueError(f"sql/{path}: header lacks {', '.join(sorted(missing))}")
        if header["rule"] != rule:
            raise ValueError(f"sql/{path}: header names rule {header['rule']}")
        function = (min(fragments, key=lambda f: (f.timing != "before_row", f.order, f.table)).function if fragments
                    else header["function"])
        return cls(rule, int(header["version"]), function, header["guarantees"], source, fragments)

    @property
    def compiled(self) -> bool:
        return bool(self.fragments)

    @property
    def checksum(self) -> str:
        return sha256(self.source)

    def render(self, mode: str) -> str:
        """The source of a rule with triggers of its own, its mode compiled in
        (a jinja2 template whose one variable is ``mode``)."""
        return compiler.render_template(self.source, mode)

    def mode_functions(self) -> dict[str, list[tuple[str, bool, str]]]:
        """mode → (function signature, SECURITY DEFINER, CREATE statement) of each
        function whose text depends on the mode."""
        rendered = {mode: [(original, code) for original, code in statements(self.render(mode)) if _FUNCTION.match(code)]
                    for mode in compiler.COMPILED_MODES}
        out: dict[str, list[tuple[str, bool, str]]] = {mode: [] for mode in compiler.COMPILED_MODES}
        for versions in zip(*(rendered[m] for m in compiler.COMPILED_MODES)):
            if len(set(versions)) == 1:
                continue
            for mode, (statement, code) in zip(compiler.COMPILED_MODES, versions):
                m = _FUNCTION.match(code)
                if m.group(2).strip():
                    raise ValueError(f"sql/triggers/{self.rule}.sql: {m.group(1)} depends on the mode and takes "
                                     "arguments; only trigger functions may")
                signature = f"{m.group(1)}()"
                definer = signature == self.function or bool(re.search(r"\bSECURITY\s+DEFINER\b", statement, re.I))
                out[mode].append((signature, definer, statement.strip()))
        return out

    def install_sql(self) -> str:
        if self.compiled:
            return compiler.install_sql(self.rule, self.version, self.checksum, self.guarantees, self.fragments)
        register = sql.SQL("SELECT dbguard.register_rule({}, {}, {}::regprocedure, {}, {});").format(
            sql.Literal(self.rule), sql.Literal(self.version), sql.Literal(self.function),
            sql.Literal(self.checksum), sql.Literal(self.guarantees))
        # A rule compiled before has fragments no longer shipped: they go, and the
        # compiled functions are assembled without them.
        forget = sql.SQL("DELETE FROM dbguard.rule_fragments WHERE rule = {};").format(sql.Literal(self.rule))
        # The functions that depend on the mode, per mode: dbguard.compile_rules()
        # installs those of the rule's mode (the file itself is run as 'correct').
        functions = [sql.SQL("DELETE FROM dbguard.rule_functions WHERE rule = {};").format(sql.Literal(self.rule))]
        for mode, rows in self.mode_functions().items():
            for signature, definer, statement in rows:
                functions.append(sql.SQL(
                    "INSERT INTO dbguard.rule_functions (rule, mode, function_name, definer, statement) "
                    "VALUES ({}, {}, {}, {}, {});").format(
                    sql.Literal(self.rule), sql.Literal(mode), sql.Literal(signature), sql.Literal(definer),
                    sql.Literal(statement)))
        # The triggers the file creates, by name: the rule has none while it is off.
        record = sql.SQL("SELECT dbguard.record_rule_triggers({}, {}::text[]);").format(
            sql.Literal(self.rule), sql.Literal(sorted(f"{table}.{name}" for name, table in self.triggers())))
        return "\n".join([self.render("correct").rstrip() + "\n", register.as_string(None), record.as_string(None),
                          forget.as_string(None), *(f.as_string(None) for f in functions),
                          "SELECT dbguard.compile_rules();", ""])

    def triggers(self) -> set[tuple[str, str]]:
        """(trigger, schema.table) of every trigger the rule's file creates."""
        found = set()
        for _original, code in statements(self.source):
            m = _TRIGGER.match(code)
            if m:
                found.add((m.group(1), m.group(2)))
        return found


def _names(folder: str) -> list[str]:
    return sorted(p.stem for p in (sql_dir() / folder).glob("*.sql"))


@cache
def _shipped(root: Path) -> tuple[list[Object], Object, list[Rule]]:
    functions = [Object("function", n, sha256(t), t) for n in _names("functions") if n not in MIGRATION_HELPERS
                 for t in [read_sql(f"functions/{n}.sql")]]
    text = read_sql(SCHEMA_OBJECTS)
    return functions, Object("schema", "repeatable", sha256(text), text), [Rule.load(r) for r in _names("triggers")]


def shipped() -> tuple[list[Object], Object, list[Rule]]:
    """The package's functions, bookkeeping objects and rules (read once per package root)."""
    return _shipped(sql_dir())


def functions_sql() -> list[tuple[str, str, str]]:
    """(name, checksum, sql) of every repeatable function."""
    return [(o.name, o.checksum, o.sql) for o in shipped()[0]]


def rules_sql() -> list[tuple[str, str, str]]:
    """(name, checksum, sql) of every rule: its file followed by register_rule, the version
    taken from the file's ``-- version:`` header."""
    return [(r.rule, r.checksum, r.install_sql()) for r in shipped()[2]]


def shipped_rules() -> dict[str, int]:
    """Each shipped rule and its version."""
    return {r.rule: r.version for r in shipped()[2]}


def _has(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is not None


def recorded(conn: psycopg.Connection) -> dict[tuple[str, str], str]:
    """(kind, name) → checksum of every repeatable object the database records."""
    out: dict[tuple[str, str], str] = {}
    if _has(conn, "dbguard.installed_objects"):
        out.update({(k, n): c for k, n, c in conn.execute(
            "SELECT kind, name, checksum FROM dbguard.installed_objects")})
    if _has(conn, "dbguard.installed_rules"):
        out.update({("rule", r): c for r, c in conn.execute("SELECT rule, source_sha256 FROM dbguard.installed_rules")})
    return out


def _stale_triggers(conn: psycopg.Connection, rule: Rule) -> str:
    """DROP TRIGGER for the triggers the installed version of ``rule`` has and the shipped one does not,
    so that a rule never fires twice for one event (a trigger split in two, say); when a rule becomes
    compiled, also the function of its own it had. A compiled group's trigger is dbguard.compile_rules()'
    to keep or drop."""
    row = conn.execute("SELECT triggers, function_name FROM dbguard.installed_rules WHERE rule = %s",
                       (rule.rule,)).fetchone()
    new = {f"{table}.{name}" for name, table in rule.triggers()}
    out = []
    for qualified in sorted(set((row[0] or []) if row else []) - new):
        schema, table, name = qualified.split(".", 2)
        if rule.compiled and compiler.COMPILED_TRIGGER.fullmatch(name):
            continue
        out.append(sql.SQL("DROP TRIGGER IF EXISTS {} ON {};").format(
            sql.Identifier(name), sql.Identifier(schema, table)).as_string(None))
    if rule.compiled and row and row[1] != rule.function and not re.fullmatch(
            r"dbguard\.tg_\w+__(?:before|after)_row\(\)", row[1]):
        out.append(f"DROP FUNCTION IF EXISTS {row[1]};")
    return "\n".join(out) + "\n" if out else ""


def pending(conn: psycopg.Connection) -> list[Object]:
    """What this database would get, in order: functions and rules whose shipped source differs
    from the recorded one, and repeatable.sql when it or any function changed."""
    functions, schema_objects, rules = shipped()
    have = recorded(conn)
    # A function edited or dropped by hand is put back too: what runs is what ships.
    drifted = {d["name"] for d in drift(conn) if d["kind"] == "function" and d["drift"] != "pending"}
    # A function the package no longer ships goes, with the triggers that call it.
    names = {o.name for o in functions} | MIGRATION_HELPERS
    out = [Object("removed", name, "", _REMOVE.format(name=sql.Literal(name).as_string(None)))
           for kind, name in sorted(have) if kind == "function" and name not in names]
    out += [o for o in functions if have.get(("function", o.name)) != o.checksum or o.name in drifted]
    if out or have.get(("schema", "repeatable")) != schema_objects.checksum:
        out.append(schema_objects)
    for r in rules:
        if have.get(("rule", r.rule)) != r.checksum:
            stale = _stale_triggers(conn, r) if _has(conn, "dbguard.installed_rules") else ""
            out.append(Object("rule", r.rule, r.checksum, stale + r.install_sql()))
    return out


_REMOVE = """DO $remove$
DECLARE
    f pg_catalog.regprocedure;
BEGIN
    FOR f IN SELECT p.oid::pg_catalog.regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'dbguard'::pg_catalog.regnamespace AND p.proname = {name} LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s CASCADE', f);
    END LOOP;
    DELETE FROM dbguard.installed_objects WHERE kind = 'function' AND name = {name};
END
$remove$;
"""


def record_sql(obj: Object) -> str:
    """The bookkeeping of an installed function or repeatable.sql (rules and removals record themselves)."""
    if obj.kind in ("rule", "removed"):
        return ""
    return sql.SQL(
        "INSERT INTO dbguard.installed_objects (kind, name, checksum) VALUES ({}, {}, {})\n"
        "ON CONFLICT (kind, name) DO UPDATE SET checksum = EXCLUDED.checksum, fingerprint = NULL, "
        "installed_at = pg_catalog.now();\n").format(
            sql.Literal(obj.kind), sql.Literal(obj.name), sql.Literal(obj.checksum)).as_string(None)


# The fingerprint of a function file: of every function of that name in schema dbguard, as installed.
_FINGERPRINT = """
    SELECT pg_catalog.string_agg(dbguard.function_fingerprint(p.oid::pg_catalog.regprocedure), ','
                                 ORDER BY p.oid::pg_catalog.regprocedure::pg_catalog.text)
      FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'dbguard'::pg_catalog.regnamespace AND p.proname = o.name"""

FINGERPRINTS_SQL = (f"UPDATE dbguard.installed_objects o SET fingerprint = ({_FINGERPRINT})\n"
                    " WHERE o.kind = 'function' AND o.fingerprint IS NULL;\n")


def script(objects: list[Object]) -> str:
    """The SQL that installs ``objects``, in one transaction."""
    if not objects:
        return ""
    parts = ["BEGIN;\n-- Function bodies are checked when they run, as pg_dump's scripts do: "
             "the functions may name each other in any order.\nSET LOCAL check_function_bodies = off;\n"]
    for o in objects:
        parts.append(f"-- {o.kind} {o.name}\n{o.sql.rstrip()}\n{record_sql(o)}")
        if o.kind == "schema":
            parts.append(FINGERPRINTS_SQL)
    parts.append("COMMIT;\n")
    return "\n".join(parts)


def install(conn: psycopg.Connection) -> list[Object]:
    """Install what is pending, in one transaction (``conn`` in autocommit); returns it."""
    objects = pending(conn)
    if objects:
        with conn.transaction():
            conn.execute("SET LOCAL check_function_bodies = off")
            for o in objects:
                conn.execute(o.sql)
                if record := record_sql(o):
                    conn.execute(record)
                if o.kind == "schema":
                    conn.execute(FINGERPRINTS_SQL)
    return objects


def drift(conn: psycopg.Connection) -> list[dict]:
    """Repeatable functions whose installed definition is not what dbguard installed
    ('modified', 'missing'), or whose shipped source is newer ('pending'); audit views
    dropped or replaced by hand."""
    if not _has(conn, "dbguard.installed_objects") or conn.execute(
            "SELECT to_regprocedure('dbguard.function_fingerprint(regprocedure)') IS NULL").fetchone()[0]:
        return []
    functions, schema_objects, _rules = shipped()
    shipped_sum = {("function", o.name): o.checksum for o in functions}
    shipped_sum[("schema", "repeatable")] = schema_objects.checksum
    out = []
    for kind, name, checksum, fingerprint, current in conn.execute(
            f"SELECT o.kind, o.name, o.checksum, o.fingerprint, ({_FINGERPRINT}) FROM dbguard.installed_objects o "
            "ORDER BY o.kind, o.name"):
        if kind == "function" and current is None:
            state = "missing"
        elif kind == "function" and fingerprint and current != fingerprint:
            state = "modified"
        elif shipped_sum.get((kind, name)) != checksum:
            state = "pending"
        else:
            continue
        out.append({"kind": kind, "name": name, "drift": state})
    from .views import view_drift

    out += [{"kind": "view", "name": name, "drift": state} for name, state in view_drift(conn).items()]
    return out
