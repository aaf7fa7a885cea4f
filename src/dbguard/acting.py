"""Who is acting: the Python side of ``SET LOCAL dbguard.actor = ...`` (DESIGN.md §1.3)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg

KEYS = ("actor", "source", "user_id", "reason")


@contextmanager
def acting(conn: psycopg.Connection, *, actor: str | None = None, source: str | None = None,
           user_id: int | str | None = None, reason: str | None = None) -> Iterator[psycopg.Connection]:
    """Run a block in a transaction tagged with who is acting.

    Opens a transaction (or a savepoint inside the current one) and sets the
    given ``dbguard.*`` settings for the rest of that transaction; the rules
    read them to fill created_by, cancelled_by, audit changed_by, history actor...
    The transaction commits when the block ends, and rolls back on error.
    """
    values = {"actor": actor, "source": source, "user_id": user_id, "reason": reason}
    with conn.transaction():
        for key, value in values.items():
            if value is not None:
                conn.execute("SELECT set_config(%s, %s, true)", (f"dbguard.{key}", str(value)))
        yield conn
