"""Where the shipped SQL lives: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _root() -> Path:
    # A wheel carries migrations/ and sql/ inside the package (pyproject's
    # force-include); an editable install reads them from the checkout.
    if (_PACKAGE_DIR / "migrations").is_dir():
        return _PACKAGE_DIR
    checkout = _PACKAGE_DIR.parent.parent
    if (checkout / "migrations").is_dir():
        return checkout
    raise FileNotFoundError(
        f"dbguard's migrations/ folder is neither in {_PACKAGE_DIR} nor in {checkout}; "
        "reinstall the package"
    )


def migrations_dir() -> Path:
    return _root() / "migrations"


def sql_dir() -> Path:
    return _root() / "sql"


def read_sql(relative: str) -> str:
    """Text of a file under sql/, e.g. ``triggers/call_direction_default.sql``."""
    return (sql_dir() / relative).read_text(encoding="utf-8")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
