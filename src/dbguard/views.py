"""The dbguard_audit views: rendered from jinja2 templates, installed by migrate.

Each view is one template ``sql/views/<view>.sql.j2`` that renders to the
view's SELECT body (context: ``domain_schema``, an already-quoted identifier,
and ``window_days``); ``consistency_violations`` is generated from the rule
catalog. A view is re-created only when its rendered text changed (sha256 in
``dbguard.installed_views``), and its GRANTs survive the re-creation.

What each view, each dbguard table and each of their columns means is written
once, in ``sql/comments.toml``: install_views applies it as ``COMMENT ON`` (only
where the stored comment differs), and ``analyst_docs_markdown`` renders the
view reference of docs/analysts.md from it.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass

import jinja2
import psycopg
from psycopg import sql

from .catalog import consistency_violations_body, load_catalog, quote_schema
from .resources import sha256, sql_dir

SCHEMA = "dbguard_audit"
GENERATED = "consistency_violations"
DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True)
class RenderedView:
    name: str
    body: str

    def create_sql(self, replace: bool = True) -> str:
        head = sql.SQL("CREATE OR REPLACE VIEW {}.{} AS\n" if replace else "CREATE VIEW {}.{} AS\n").format(
            sql.Identifier(SCHEMA), sql.Identifier(self.name)).as_string(None)
        return head + self.body.strip().rstrip(";") + ";\n"

    @property
    def sha256(self) -> str:
        return sha256(self.create_sql())


def _templates_dir():
    return sql_dir() / "views"


def template_names() -> list[str]:
    return sorted(p.name[: -len(".sql.j2")] for p in _templates_dir().glob("*.sql.j2") if not p.name.startswith("_"))


def render_views(domain_schema: str = "public", *, catalog_dir: str | os.PathLike | None = None,
                 window_days: int = DEFAULT_WINDOW_DAYS) -> list[RenderedView]:
    """Every dbguard_audit view, rendered, consistency_violations first."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_templates_dir())),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    context = {"domain_schema": quote_schema(domain_schema), "window_days": int(window_days)}
    views = [RenderedView(GENERATED, consistency_violations_body(load_catalog(catalog_dir), domain_schema))]
    views += [RenderedView(n, env.get_template(f"{n}.sql.j2").render(**context)) for n in template_names()]
    return views


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL",
                        (sql.Identifier(SCHEMA, name).as_string(None),)).fetchone()[0]


def _installed_hashes(conn: psycopg.Connection) -> dict[str, str] | None:
    if conn.execute("SELECT to_regclass('dbguard.installed_views')").fetchone()[0] is None:
        return None
    return dict(conn.execute("SELECT view_name, sha256 FROM dbguard.installed_views").fetchall())


# The fingerprint of installed view r.view_name: md5 of its stored query tree (pg_rewrite), which
# unlike pg_get_viewdef does not depend on the search_path of whoever reads it.
DEFINITION_MD5 = """(SELECT pg_catalog.md5(w.ev_action::pg_catalog.text) FROM pg_catalog.pg_rewrite w
                      WHERE w.ev_class = pg_catalog.to_regclass(pg_catalog.quote_ident('dbguard_audit') || '.'
                                                             || pg_catalog.quote_ident(r.view_name))
                        AND w.rulename = '_RETURN')"""


def view_drift(conn: psycopg.Connection) -> dict[str, str]:
    """Installed views dropped ('missing') or replaced by hand ('modified') since dbguard installed them."""
    if _installed_hashes(conn) is None:
        return {}
    return {name: "missing" if current is None else "modified" for name, current in conn.execute(
        f"""SELECT r.view_name, {DEFINITION_MD5} FROM dbguard.installed_views r
             WHERE r.definition_md5 IS DISTINCT FROM {DEFINITION_MD5} ORDER BY 1""")}


def pending_views(conn: psycopg.Connection, views: list[RenderedView]) -> list[RenderedView]:
    """The views whose rendered text differs from what is installed, that are missing, or that
    were replaced by hand."""
    stored = _installed_hashes(conn) or {}
    drifted = view_drift(conn)
    return [v for v in views if stored.get(v.name) != v.sha256 or v.name in drifted or not _exists(conn, v.name)]


def _grants(conn: psycopg.Connection, name: str) -> list[sql.Composed]:
    """GRANT statements that re-create the view's current privileges (owner's are implicit)."""
    rows = conn.execute(
        """SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE a.grantee::regrole::text END,
                  a.privilege_type, a.is_grantable
             FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
            WHERE c.oid = to_regclass(%s) AND a.grantee <> c.relowner""",
        (sql.Identifier(SCHEMA, name).as_string(None),)).fetchall()
    out = []
    for grantee, privilege, grantable in rows:
        # regrole::text is already quoted where needed.
        out.append(sql.SQL("GRANT {} ON {}.{} TO {}{}").format(
            sql.SQL(privilege), sql.Identifier(SCHEMA), sql.Identifier(name),
            sql.SQL(grantee) if grantee else sql.SQL("PUBLIC"),
            sql.SQL(" WITH GRANT OPTION") if grantable else sql.SQL("")))
    return out


def record_sql(view: RenderedView) -> str:
    """Records an installed view with its fingerprint (after its CREATE VIEW)."""
    return sql.SQL(
        "INSERT INTO dbguard.installed_views AS r (view_name, sha256) VALUES ({}, {})\n"
        "ON CONFLICT (view_name) DO UPDATE SET sha256 = EXCLUDED.sha256, installed_at = now();\n"
        "UPDATE dbguard.installed_views r SET definition_md5 = " + DEFINITION_MD5.replace("{", "{{").replace("}", "}}")
        + " WHERE r.view_name = {};\n").format(
            sql.Literal(view.name), sql.Literal(view.sha256), sql.Literal(view.name)).as_string(None)


def install_view(conn: psycopg.Connection, view: RenderedView) -> str:
    """Create or replace one view in the current transaction; 'created', 'replaced' or 'recreated'."""
    existed = _exists(conn, view.name)
    grants = _grants(conn, view.name) if existed else []
    action = "replaced" if existed else "created"
    try:
        with conn.transaction():
            conn.execute(view.create_sql())
    except psycopg.errors.InvalidTableDefinition:
        # Columns renamed, removed or retyped: CREATE OR REPLACE cannot do that.
        conn.execute(sql.SQL("DROP VIEW {}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(view.name)))
        conn.execute(view.create_sql(replace=False))
        action = "recreated"
    for grant in grants:
        conn.execute(grant)
    conn.execute(record_sql(view))
    return action


def install_views(conn: psycopg.Connection, domain_schema: str = "public", *,
                  catalog_dir: str | os.PathLike | None = None, skip_missing: bool = False) -> dict[str, str]:
    """Install every view whose rendered text changed, in one transaction; {view: action}.

    ``skip_missing``: after a partial rollback some views refer to tables that are gone;
    those are left out (action 'skipped: ...') instead of failing the whole install.
    """
    if _installed_hashes(conn) is None:
        return {}  # migration 0400 not applied (yet)
    views = render_views(domain_schema, catalog_dir=catalog_dir)
    done: dict[str, str] = {}
    with conn.transaction():
        for view in pending_views(conn, views):
            if not skip_missing:
                done[view.name] = install_view(conn, view)
                continue
            try:
                with conn.transaction():
                    done[view.name] = install_view(conn, view)
            except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn,
                    psycopg.errors.UndefinedFunction) as exc:
                done[view.name] = f"skipped: {exc.diag.message_primary}"
        apply_comments(conn, catalog_dir=catalog_dir)
    return done


def drop_views(conn: psycopg.Connection) -> list[str]:
    """Drop every installed audit view (they are derived: migrate re-creates them).

    A rollback does this first, so that no view pins a table the rollback drops.
    """
    if _installed_hashes(conn) is None:
        return []
    with conn.transaction():
        names = [r[0] for r in conn.execute("SELECT view_name FROM dbguard.installed_views ORDER BY 1")]
        for name in names:
            conn.execute(sql.SQL("DROP VIEW IF EXISTS {}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(name)))
        conn.execute("DELETE FROM dbguard.installed_views")
    return names


def render(domain_schema: str = "public", *, catalog_dir: str | os.PathLike | None = None,
           views: list[str] | tuple[str, ...] | None = None) -> str:
    """The CREATE VIEW statements of the audit views (all, or the named ones)."""
    rendered = render_views(domain_schema, catalog_dir=catalog_dir)
    if views:
        known = {v.name for v in rendered}
        unknown = [v for v in views if v not in known]
        if unknown:
            from .errors import DbguardError
            raise DbguardError(f"unknown view(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        rendered = [v for v in rendered if v.name in views]
    return "\n".join(f"-- dbguard_audit.{v.name}\n{v.create_sql()}" for v in rendered)


# --- comments: sql/comments.toml -> COMMENT ON, docs/analysts.md ---------------

@functools.cache
def load_comments() -> dict:
    """sql/comments.toml: {'views': {name: {...}}, 'tables': {name: {...}}}."""
    with open(sql_dir() / "comments.toml", "rb") as fh:
        return tomllib.load(fh)


def comment_targets(catalog_dir: str | os.PathLike | None = None) -> list[tuple[str, str, str, dict[str, str]]]:
    """(schema, relation, comment, {column: comment}) for every commented relation.

    The rule column of consistency_violations lists the catalog's rules, so a
    user's own rule (--catalog-dir) shows up in psql's description too."""
    data = load_comments()
    out = []
    for name, entry in data["views"].items():
        columns = dict(entry["columns"])
        if name == GENERATED:
            columns["rule"] += " One of: " + ", ".join(r.name for r in load_catalog(catalog_dir)) + "."
        out.append((SCHEMA, name, entry["comment"], columns))
    for name, entry in data["tables"].items():
        out.append(("dbguard", name, entry["comment"], dict(entry["columns"])))
    return out


def apply_comments(conn: psycopg.Connection, *, catalog_dir: str | os.PathLike | None = None) -> int:
    """COMMENT ON each relation and column of sql/comments.toml whose stored comment differs.

    Relations or columns that do not exist (yet, or after a partial rollback) are
    skipped; tests check that the file and the schema agree. Returns the number of
    comments written."""
    written = 0
    for schema, name, comment, columns in comment_targets(catalog_dir):
        rel = sql.Identifier(schema, name)
        row = conn.execute(
            """SELECT c.relkind, obj_description(c.oid, 'pg_class') FROM pg_catalog.pg_class c
                WHERE c.oid = to_regclass(%s)""", (rel.as_string(None),)).fetchone()
        if row is None:
            continue
        relkind, current = row
        if current != comment:
            kind = sql.SQL("VIEW" if relkind in ("v", "m") else "TABLE")
            conn.execute(sql.SQL("COMMENT ON {} {} IS {}").format(kind, rel, sql.Literal(comment)))
            written += 1
        stored = dict(conn.execute(
            """SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped""",
            (rel.as_string(None),)).fetchall())
        for column, text in columns.items():
            if column in stored and stored[column] != text:
                conn.execute(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    rel, sql.Identifier(column), sql.Literal(text)))
                written += 1
    return written


def analyst_docs_markdown() -> str:
    """The view reference of docs/analysts.md (between its 'generated' markers)."""
    lines = ["<!-- generated from sql/comments.toml by `dbguard render --analyst-docs`; do not edit by hand -->", ""]
    for name, entry in load_comments()["views"].items():
        lines += [f"### `dbguard_audit.{name}`", "", entry["comment"], "",
                  f"*Answers:* {entry['question']}", "", "```sql", entry["example"].strip("\n"), "```", "",
                  "| column | meaning |", "|---|---|"]
        lines += ["| `" + c + "` | " + t.replace("|", "\\|") + " |" for c, t in entry["columns"].items()]
        lines.append("")
    return "\n".join(lines)
