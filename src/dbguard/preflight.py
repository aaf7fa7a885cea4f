"""Preflight: what would stop ``dbguard migrate`` on an existing database, found before
anything is applied and reported all together.

Blocking (migrate applies nothing and exits with an error listing every one):
- an existing domain table without an ``id`` column;
- an existing column whose type dbguard cannot use (``calls.booking_confirmed
  integer``: the rules treat it as a boolean), compared with the types
  sql/schema declares: a different type category (boolean, number, string,
  date/time) or, outside numbers, strings and date/times, a different type;
- duplicates in the columns dbguard makes unique (provider booking ids,
  ``calls.retell_call_id``, a customer's e-mail per company, ...).

Not blocking, reported as warnings: dangling references the new foreign keys
(added ``NOT VALID``) will not reject, but that the rules and reports care
about (an appointment whose call does not exist: the detection rule
``appointment_missing_call`` keeps reporting them after the install).

Each problem names table, column, a few offending ids or values with the
total count, and the fix.

After the install, ``unvalidated_checks`` lists dbguard's CHECK constraints that
are still ``NOT VALID`` (they are added that way so that legacy rows do not block
the install), each with the rows that break it: ``dbguard migrate`` validates
those without offending rows and reports the others (docs/migrations.md).
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

import psycopg
from psycopg import sql

from .resources import read_sql

# Schema files that declare the domain tables' columns (the ones a migration can only add).
_SCHEMA_FILES = ("schema/03_domain_tables.sql", "schema/07_host_mappings.sql")
# Columns dbguard makes unique (sql/schema/11_domain_indexes.sql), with the index that does it.
UNIQUE_KEYS = [
    ("calls", ("retell_call_id",), "dbguard_calls_retell_call_id_key"),
    ("appointments", ("calcom_v2_booking_id",), "dbguard_appointments_calcom_v2_booking_id_key"),
    ("appointments", ("ghl_appointment_id",), "dbguard_appointments_ghl_appointment_id_key"),
    ("appointments", ("calendly_invitee_uri",), "dbguard_appointments_calendly_invitee_uri_key"),
    ("customers", ("company_id", "email"), "dbguard_customers_company_email_key"),
    ("calcom_host_mappings", ("calcom_host_id", "staff_id"), "dbguard_host_mappings_host_staff_key"),
]
# References whose dangling rows the rules and reports care about: (table, column, target).
REFERENCES = [("appointments", "call_id", "calls")]
_SAMPLE = 5
_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS public\.(\w+) \(id (\w+)")
_ALTER = re.compile(r"ALTER TABLE public\.(\w+)\s+(.*?);", re.DOTALL)
_ADD = re.compile(r"ADD COLUMN IF NOT EXISTS\s+(\w+)\s+(\w+(?:\[\])?(?:\s*\([\d\s,]+\))?)")
_SERIAL = {"bigserial": "bigint", "serial": "integer", "smallserial": "smallint"}


@dataclass
class Problem:
    table: str
    column: str | None
    problem: str
    rows: int
    examples: list[str]
    fix: str
    blocking: bool = True

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        examples = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        return f"{where}: {self.problem}; {self.rows} row(s){examples}. Fix: {self.fix}"

    def as_dict(self) -> dict:
        return asdict(self)


@functools.lru_cache(maxsize=1)
def expected_columns() -> dict[str, dict[str, str]]:
    """table → column → type, as sql/schema declares them."""
    out: dict[str, dict[str, str]] = {}
    for path in _SCHEMA_FILES:
        text = "\n".join(line.split("--")[0] for line in read_sql(path).splitlines())
        for table, id_type in _TABLE.findall(text):
            out.setdefault(table, {})["id"] = _SERIAL.get(id_type, id_type)
        for table, body in _ALTER.findall(text):
            for column, type_ in _ADD.findall(body):
                out.setdefault(table, {}).setdefault(column, re.sub(r"\s+", "", type_))
    return out


def _existing(conn: psycopg.Connection, schema: str) -> dict[str, dict[str, tuple[str, str]]]:
    """table → column → (type as PostgreSQL prints it, type category) of the existing domain tables."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, type_, category in conn.execute(
            """SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typcategory
                 FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                 JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)""",
            (schema, list(expected_columns()))):
        out.setdefault(table, {})[column] = (type_, str(category))
    return out


def _category(conn: psycopg.Connection, type_: str) -> tuple[str, str]:
    return conn.execute("SELECT pg_catalog.format_type(t.oid, NULL), t.typcategory::text FROM pg_catalog.pg_type t "
                        "WHERE t.oid = %s::regtype", (type_,)).fetchone()


def _usable(have: tuple[str, str], want: tuple[str, str]) -> bool:
    (have_type, have_cat), (want_type, want_cat) = have, want
    if have_type.split("(")[0] == want_type.split("(")[0]:
        return True
    # Within numbers, strings and date/times the rules work on any member (integer ids, varchar text).
    return have_cat == want_cat and want_cat in ("N", "S", "D")


def _qualified(schema: str, table: str) -> sql.Composed:
    return sql.Identifier(schema, table)


def _type_fix(schema: str, table: str, column: str, want: str, have: str) -> str:
    target = f"{schema}.{table}"
    if want == "boolean" and have.split("(")[0] in ("integer", "smallint", "bigint", "numeric"):
        using = f"{column} <> 0"
    else:
        using = f"{column}::{want}"
    return (f"ALTER TABLE {target} ALTER COLUMN {column} TYPE {want} USING {using} (rewrites the table under an "
            f"exclusive lock: plan a maintenance window, and change the applications writing it), then migrate again")


def preflight(conn: psycopg.Connection, schema: str = "public") -> list[Problem]:
    """Every problem of an existing database that would stop the install, and warnings."""
    problems: list[Problem] = []
    existing = _existing(conn, schema)
    expected = expected_columns()
    for table in sorted(existing):
        columns = existing[table]
        target = f"{schema}.{table}"
        count = None

        def rows() -> int:
            nonlocal count
            if count is None:
                count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(_qualified(schema, table))).fetchone()[0]
            return count

        if "id" not in columns:
            problems.append(Problem(target, None, "the table has no id column (dbguard keys every domain table by id)",
                                    rows(), [], f"ALTER TABLE {target} ADD COLUMN id bigserial PRIMARY KEY, "
                                    "then migrate again"))
        for column, want in expected[table].items():
            if column not in columns:
                continue
            want_type = _category(conn, want)
            if _usable(columns[column], want_type):
                continue
            have = columns[column][0]
            values = [repr(v) for (v,) in conn.execute(
                sql.SQL("SELECT DISTINCT {c}::text FROM {t} WHERE {c} IS NOT NULL ORDER BY 1 LIMIT %s").format(
                    c=sql.Identifier(column), t=_qualified(schema, table)), (_SAMPLE,))]
            problems.append(Problem(target, column, f"is {have}; dbguard needs {want_type[0]}", rows(),
                                    values, _type_fix(schema, table, column, want_type[0], have)))
    for table, key, index in UNIQUE_KEYS:
        if table not in existing or not set(key) <= set(existing[table]) or "id" not in existing[table]:
            continue
        if conn.execute("SELECT to_regclass(%s)", (f"{schema}.{index}",)).fetchone()[0] is not None:
            continue  # already unique
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in key)
        not_null = sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(sql.Identifier(c)) for c in key)
        groups = conn.execute(sql.SQL(
            """SELECT count(*) OVER (), ({cols})::text, count(*), (array_agg(id::text ORDER BY id))[1:{n}]
                 FROM {t} WHERE {not_null} GROUP BY {cols} HAVING count(*) > 1 ORDER BY count(*) DESC, 2 LIMIT {n}""")
            .format(cols=cols, t=_qualified(schema, table), not_null=not_null, n=sql.Literal(_SAMPLE))).fetchall()
        if groups:
            names = ", ".join(key)
            problems.append(Problem(
                f"{schema}.{table}", names,
                f"{groups[0][0]} value(s) occur more than once; dbguard makes ({names}) unique so that replayed "
                "provider webhooks cannot create duplicates",
                sum(g[2] for g in groups),
                [f"{value} in rows {', '.join(ids)}" for _n, value, _c, ids in groups],
                f"list them with SELECT {names}, array_agg(id) FROM {schema}.{table} GROUP BY {names} "
                "HAVING count(*) > 1; merge or clear the duplicates, then migrate again"))
    for table, column, target in REFERENCES:
        if table not in existing or target not in existing or column not in existing[table] \
                or "id" not in existing[target] or not _usable(existing[table][column], existing[target]["id"]):
            continue
        dangling = conn.execute(sql.SQL(
            """SELECT count(*) OVER (), r.id::text FROM {t} r
                WHERE r.{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {target} x WHERE x.id = r.{c})
                ORDER BY r.id LIMIT {n}""").format(
                t=_qualified(schema, table), c=sql.Identifier(column), target=_qualified(schema, target),
                n=sql.Literal(_SAMPLE))).fetchall()
        if dangling:
            problems.append(Problem(
                f"{schema}.{table}", column, f"names a {target} row that does not exist", dangling[0][0],
                [f"id {r[1]}" for r in dangling],
                f"not blocking: the foreign key is added NOT VALID and the rule appointment_missing_call reports "
                f"them (dbguard check); set {column} to the right {target} row or NULL", blocking=False))
    return problems


# CHECK constraints dbguard adds NOT VALID (sql/schema/04_domain_constraints.sql): name → table.
_CHECK = re.compile(r"add_constraint_if_missing\('public\.(\w+)', '(\w+)',\s*'CHECK \(")
# Objects below this oid come with PostgreSQL itself (FirstNormalObjectId).
_FIRST_NORMAL_OID = 16384


@functools.lru_cache(maxsize=1)
def shipped_checks() -> dict[str, str]:
    """constraint name → table, for the CHECK constraints dbguard adds NOT VALID."""
    return {name: table for table, name in _CHECK.findall(read_sql("schema/04_domain_constraints.sql"))}


def unvalidated_checks(conn: psycopg.Connection, schema: str = "public") -> list[Problem]:
    """dbguard's CHECK constraints that are still NOT VALID, one (non-blocking) Problem each, with
    the rows that break it (``rows == 0``: nothing stops ``VALIDATE CONSTRAINT``). ``column`` is the
    constraint's name.

    Only constraints dbguard ships, and only while their expression uses nothing but PostgreSQL's
    own functions, operators and types: migrate evaluates it as the migrating role, and a table's
    owner could otherwise put a constraint of that name there that runs a function of theirs."""
    out: list[Problem] = []
    for table, name, expression in conn.execute(
            """SELECT c.relname, k.conname, pg_catalog.pg_get_expr(k.conbin, k.conrelid)
                 FROM pg_catalog.pg_constraint k
                 JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = %s AND k.contype = 'c' AND NOT k.convalidated AND k.conname = ANY(%s)
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_depend d
                       WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid
                         AND d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass,
                                              'pg_catalog.pg_operator'::pg_catalog.regclass,
                                              'pg_catalog.pg_type'::pg_catalog.regclass,
                                              'pg_catalog.pg_collation'::pg_catalog.regclass)
                         AND d.refobjid >= %s)
                ORDER BY c.relname, k.conname""",
            (schema, list(shipped_checks()), _FIRST_NORMAL_OID)).fetchall():
        if shipped_checks()[name] != table:
            continue
        target = f"{schema}.{table}"
        # A CHECK is broken by a row for which it is false (NULL passes), as VALIDATE decides.
        offenders = conn.execute(sql.SQL(
            "SELECT count(*) OVER (), id::text FROM {t} WHERE ({e}) IS FALSE ORDER BY id LIMIT {n}").format(
                t=_qualified(schema, table), e=sql.SQL(expression), n=sql.Literal(_SAMPLE))).fetchall()
        count = offenders[0][0] if offenders else 0
        out.append(Problem(
            target, name,
            f"CHECK ({expression}) is NOT VALID: {count} existing row(s) break it" if count else
            f"CHECK ({expression}) is NOT VALID and no existing row breaks it",
            count, [f"id {r[1]}" for r in offenders],
            f"not blocking: it holds for every new and changed row, but stays NOT VALID until the old rows are "
            f"fixed (some tools, e.g. SQLAlchemy's reflection, warn about NOT VALID constraints); list them with "
            f"SELECT * FROM {target} WHERE ({expression}) IS FALSE, correct them, then run dbguard migrate "
            f"again: it validates the constraint (VALIDATE CONSTRAINT, which does not block writers)",
            blocking=False))
    return out
