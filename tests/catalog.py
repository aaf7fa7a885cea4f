"""A comparable picture of what dbguard put into a database."""

from __future__ import annotations

import psycopg

SCHEMAS = ("public", "dbguard", "dbguard_audit")

_QUERIES = {
    "tables": """
        SELECT n.nspname || '.' || c.relname, c.relkind::text
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY(%(s)s) AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
         ORDER BY 1""",
    "columns": """
        SELECT table_schema || '.' || table_name || '.' || column_name,
               data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '')
               || ' null=' || is_nullable || ' default=' || coalesce(column_default, '')
          FROM information_schema.columns
         WHERE table_schema = ANY(%(s)s)
         ORDER BY 1""",
    "indexes": """
        SELECT schemaname || '.' || indexname, indexdef FROM pg_indexes
         WHERE schemaname = ANY(%(s)s) ORDER BY 1""",
    "constraints": """
        SELECT n.nspname || '.' || c.conrelid::regclass::text || '.' || c.conname,
               pg_get_constraintdef(c.oid) || ' valid=' || c.convalidated
          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
         WHERE n.nspname = ANY(%(s)s) AND c.contype IN ('c', 'f', 'p', 'u', 'x')
         ORDER BY 1""",
    "functions": """
        SELECT p.oid::regprocedure::text, md5(pg_get_functiondef(p.oid))
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = ANY(%(s)s) AND p.prokind IN ('f', 'p')
         ORDER BY 1""",
    "triggers": """
        SELECT t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY(%(s)s) AND NOT t.tgisinternal
         ORDER BY 1""",
    "views": """
        SELECT schemaname || '.' || viewname, md5(definition) FROM pg_views
         WHERE schemaname = ANY(%(s)s) ORDER BY 1""",
}


def snapshot(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    return {kind: dict(conn.execute(q, {"s": list(SCHEMAS)}).fetchall()) for kind, q in _QUERIES.items()}


def diff(a: dict, b: dict) -> list[str]:
    out = []
    for kind in a.keys() | b.keys():
        x, y = a.get(kind, {}), b.get(kind, {})
        for name in sorted(x.keys() | y.keys()):
            if x.get(name) != y.get(name):
                out.append(f"{kind} {name}: {x.get(name)!r} != {y.get(name)!r}")
    return out
