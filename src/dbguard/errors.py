"""Errors dbguard raises to its callers.

``DbguardError`` is what the CLI turns into one line on stderr and a non-zero exit
code; anything else escaping a command is a bug.
"""

from __future__ import annotations


class DbguardError(Exception):
    """A failure the user can act on; ``str()`` says what failed and what to do."""


class ConnectionFailed(DbguardError):
    pass


class MigrationFailed(DbguardError):
    pass
