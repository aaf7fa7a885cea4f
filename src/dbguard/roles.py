"""Database roles for dbguard (DESIGN.md §6): application, analyst and owner.

``roles(conn, app=..., analyst=..., owner=...)`` creates each named role that
does not exist (NOLOGIN: grant it to your login roles) and (re)applies its
grants. It is idempotent; ``dbguard migrate --app-role ...`` calls it after the
migrations, so objects added by later migrations are covered too.

- application: reads and writes the domain tables, except the history and
  audit tables (appointment_events, calcom_host_mapping_audits: SELECT only,
  written by SECURITY DEFINER triggers); reads dbguard's tables, writes none of
  them; EXECUTE on the client API (CLIENT_FUNCTIONS) and no other dbguard
  function: the rules run as their owner when it writes, so it needs none of
  their helpers, and cannot call raise_alert & co. to forge what they write.
  It must not own (or be a member of the owner of) any of these tables: an
  owner could ``ALTER TABLE ... DISABLE TRIGGER``.
- analyst: USAGE on dbguard_audit and SELECT on its views, EXECUTE on the
  redaction functions the views call (ANALYST_FUNCTIONS; a view runs its
  functions with the reader's privileges); nothing in the domain schema or
  dbguard's tables. The views are owned by the owner/migrating role, so they
  read the base tables without the analyst having any grant on them.
- owner: a NOLOGIN role made the owner of dbguard's schemas, their objects and
  the domain tables, and granted to the migrating role (which can then run
  later migrations). Functions it creates later are not executable by PUBLIC
  (its global default privileges).

Default privileges (for the migrating role and the owner) cover views created
later: SELECT in dbguard_audit for the analyst. No function is executable by
PUBLIC (docs/security.md): a client function added later is granted by
running this again (``dbguard migrate --app-role`` does).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from .connection import require_installed
from .errors import DbguardError

DOMAIN_TABLES = ("companies", "branches", "users", "customers", "staff", "services", "leads", "calls",
                 "appointments", "calcom_host_mappings", "calcom_host_mapping_audits", "appointment_events")
# Written only by SECURITY DEFINER triggers; applications may read them.
APPEND_ONLY_TABLES = ("appointment_events", "calcom_host_mapping_audits")
# The dbguard functions an application calls (contract §2), every overload;
# all others are the owner's.
CLIENT_FUNCTIONS = ("resolve_staff_for_host", "assign_staff_from_booking", "validate_appointment_creation",
                    "rollback_booking_flags", "enqueue_review", "breaker_allow", "breaker_record_success",
                    "breaker_record_failure")
# Called by the dbguard_audit views, which run functions as the reader.
ANALYST_FUNCTIONS = ("redact_pii", "redact_pii_text")
DBGUARD_SCHEMAS = ("dbguard", "dbguard_audit")
# Serialises concurrent roles() runs (CREATE ROLE has no IF NOT EXISTS).
_LOCK_KEY = 0x6462_6775_6172_6472  # "dbguardr"


def _q(query: str, *identifiers) -> sql.Composed:
    return sql.SQL(query).format(*identifiers)


def _role_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (name,)).fetchone() is not None


def _domain_tables(conn: psycopg.Connection, schema: str) -> list[tuple[str, str]]:
    """(table, owner) of the domain tables that exist."""
    return conn.execute(
        """SELECT c.relname, pg_catalog.pg_get_userbyid(c.relowner)
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND c.relname = ANY(%s) AND c.relkind IN ('r', 'p')
            ORDER BY c.relname""", (schema, list(DOMAIN_TABLES))).fetchall()


def _check_not_privileged(conn: psycopg.Connection, role: str, kind: str, schema: str) -> None:
    """An application or analyst role must not be able to act as an owner."""
    if conn.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = %s", (role,)).fetchone()[0]:
        raise DbguardError(f"the {kind} role {role!r} is a superuser: it bypasses every grant and could disable "
                           f"the triggers; use a role without SUPERUSER (ALTER ROLE {role} NOSUPERUSER)")
    owned = conn.execute(
        """SELECT n.nspname || '.' || c.relname, pg_catalog.pg_get_userbyid(c.relowner)
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE ((n.nspname = %s AND c.relname = ANY(%s)) OR n.nspname = ANY(%s))
              AND c.relkind IN ('r', 'p', 'v', 'm')
              AND pg_catalog.pg_has_role(%s, c.relowner, 'USAGE')
            ORDER BY 1""", (schema, list(DOMAIN_TABLES), list(DBGUARD_SCHEMAS), role)).fetchall()
    if owned:
        table, owner = owned[0]
        raise DbguardError(
            f"the {kind} role {role!r} owns (or acts as owner {owner!r} of) {table} and {len(owned) - 1} more "
            f"table(s)/view(s): an owner can ALTER TABLE ... DISABLE TRIGGER. Give the tables to another role "
            f"(e.g. dbguard roles --owner-role dbguard_owner, or ALTER TABLE {table} OWNER TO ...) and run again")


def _transfer_ownership(conn: psycopg.Connection, owner: str, schema: str) -> None:
    role = sql.Identifier(owner)
    if not conn.execute("SELECT pg_catalog.pg_has_role(current_user, %s, 'MEMBER')", (owner,)).fetchone()[0]:
        conn.execute(_q("GRANT {} TO CURRENT_USER", role))
    for name in DBGUARD_SCHEMAS:
        conn.execute(_q("ALTER SCHEMA {} OWNER TO {}", sql.Identifier(name), role))
    relations = conn.execute(
        """SELECT n.nspname, c.relname, c.relkind
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE ((n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'S'))
                   OR (n.nspname = %s AND c.relname = ANY(%s) AND c.relkind IN ('r', 'p')))
              -- sequences owned by a column move with their table
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                                 AND d.deptype IN ('a', 'i'))""",
        (list(DBGUARD_SCHEMAS), schema, list(DOMAIN_TABLES))).fetchall()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for nsp, rel, kind in relations:
        conn.execute(_q(f"ALTER {kinds[kind]} {{}} OWNER TO {{}}", sql.Identifier(nsp, rel), role))
    functions = conn.execute(
        """SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = ANY(%s)""", (list(DBGUARD_SCHEMAS),)).fetchall()
    for (signature,) in functions:
        # regprocedure text is already a quoted, schema-qualified signature from the catalog.
        conn.execute(_q(f"ALTER ROUTINE {signature} OWNER TO {{}}", role))
    # A dedicated role: its future functions (dbguard's next migrations) start closed
    # to PUBLIC. Global, as per-schema default privileges cannot take away PUBLIC's
    # built-in EXECUTE; the files revoke it too.
    conn.execute(_q("ALTER DEFAULT PRIVILEGES FOR ROLE {} REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC", role))


def _creators(conn: psycopg.Connection, owner: str | None) -> list[str]:
    """Roles whose future objects the default privileges must cover."""
    me = conn.execute("SELECT current_user").fetchone()[0]
    return [me] + ([owner] if owner and owner != me else [])


def _functions(conn: psycopg.Connection, names: tuple[str, ...]) -> list[str]:
    return [r[0] for r in conn.execute(
        """SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'dbguard' AND p.proname = ANY(%s) ORDER BY 1""", (list(names),))]


def _grant_functions(conn: psycopg.Connection, role: str, names: tuple[str, ...], creators: list[str]) -> None:
    """EXECUTE on exactly these dbguard functions: whatever an earlier version of
    this command granted (every function, and by default every future one) is taken back."""
    ident = sql.Identifier(role)
    conn.execute(_q("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA dbguard, dbguard_audit FROM {}", ident))
    for creator in creators:
        for schema in DBGUARD_SCHEMAS:
            conn.execute(_q("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} REVOKE EXECUTE ON FUNCTIONS FROM {}",
                            sql.Identifier(creator), sql.Identifier(schema), ident))
    for signature in _functions(conn, names):
        conn.execute(_q(f"GRANT EXECUTE ON FUNCTION {signature} TO {{}}", ident))


def _grant_app(conn: psycopg.Connection, app: str, schema: str, creators: list[str]) -> None:
    role = sql.Identifier(app)
    conn.execute(_q("GRANT USAGE ON SCHEMA {}, dbguard TO {}", sql.Identifier(schema), role))
    for table, _owner in _domain_tables(conn, schema):
        ident = sql.Identifier(schema, table)
        # TRUNCATE would delete without firing the delete triggers (history).
        conn.execute(_q("REVOKE TRUNCATE, TRIGGER, REFERENCES ON {} FROM {}", ident, role))
        if table in APPEND_ONLY_TABLES:
            conn.execute(_q("GRANT SELECT ON {} TO {}", ident, role))
            conn.execute(_q("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}", ident, role))
            continue
        conn.execute(_q("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}", ident, role))
        seq = conn.execute("SELECT pg_catalog.pg_get_serial_sequence(%s, 'id')",
                           (f"{sql.Identifier(schema, table).as_string(conn)}",)).fetchone()[0]
        if seq:
            conn.execute(_q(f"GRANT USAGE, SELECT ON SEQUENCE {seq} TO {{}}", role))
    conn.execute(_q("GRANT SELECT ON ALL TABLES IN SCHEMA dbguard TO {}", role))
    conn.execute(_q("REVOKE INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES "
                    "ON ALL TABLES IN SCHEMA dbguard FROM {}", role))
    _grant_functions(conn, app, CLIENT_FUNCTIONS, creators)
    for creator in creators:
        conn.execute(_q("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA dbguard GRANT SELECT ON TABLES TO {}",
                        sql.Identifier(creator), role))


def _grant_analyst(conn: psycopg.Connection, analyst: str, schema: str, creators: list[str]) -> None:
    role = sql.Identifier(analyst)
    conn.execute(_q("GRANT USAGE ON SCHEMA dbguard_audit TO {}", role))
    conn.execute(_q("GRANT SELECT ON ALL TABLES IN SCHEMA dbguard_audit TO {}", role))
    conn.execute(_q("REVOKE INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES "
                    "ON ALL TABLES IN SCHEMA dbguard_audit FROM {}", role))
    # Whatever it may have been given before: nothing in dbguard or the domain tables.
    conn.execute(_q("REVOKE ALL ON ALL TABLES IN SCHEMA dbguard FROM {}", role))
    conn.execute(_q("REVOKE ALL ON SCHEMA dbguard FROM {}", role))
    for table, _owner in _domain_tables(conn, schema):
        conn.execute(_q("REVOKE ALL ON {} FROM {}", sql.Identifier(schema, table), role))
    _grant_functions(conn, analyst, ANALYST_FUNCTIONS, creators)
    for creator in creators:
        conn.execute(_q("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA dbguard_audit GRANT SELECT ON TABLES TO {}",
                        sql.Identifier(creator), role))


def roles(conn: psycopg.Connection, *, app: str | None = None, analyst: str | None = None,
          owner: str | None = None, domain_schema: str = "public") -> dict:
    """Create (if missing) and grant the application, analyst and owner roles. Idempotent."""
    named = {k: v for k, v in (("app", app), ("analyst", analyst), ("owner", owner)) if v is not None}
    if not named:
        raise DbguardError("name at least one role: --app-role, --analyst-role or --owner-role")
    for kind, name in named.items():
        if not name.strip():
            raise DbguardError(f"the {kind} role name is empty")
    if len(set(named.values())) != len(named):
        raise DbguardError(f"the application, analyst and owner roles must be different roles, got {named}")
    require_installed(conn)
    created = []
    with conn.transaction():
        conn.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        for name in named.values():
            if not _role_exists(conn, name):
                conn.execute(_q("CREATE ROLE {} NOLOGIN", sql.Identifier(name)))
                created.append(name)
        if owner:
            _transfer_ownership(conn, owner, domain_schema)
        creators = _creators(conn, owner)
        for kind in ("app", "analyst"):
            if kind in named:
                _check_not_privileged(conn, named[kind], "application" if kind == "app" else "analyst",
                                      domain_schema)
        if app:
            _grant_app(conn, app, domain_schema, creators)
        if analyst:
            _grant_analyst(conn, analyst, domain_schema, creators)
    return {"created": created, "app": app, "analyst": analyst, "owner": owner, "domain_schema": domain_schema}
