"""dbguard: consistency rules for appointment-booking databases, enforced by PostgreSQL.

The library functions behind the ``dbguard`` commands::

    from dbguard import migrate, rollback, status, rules, set_mode
"""

from . import errors
from .acting import acting
from .bookings import ValidationResult, enqueue_review, rollback_booking_flags, validate_appointment_creation
from .connection import connect, resolve_dsn
from .errors import ConnectionFailed, DbguardError, MigrationFailed
from .migrator import migrate, rollback
from .rules import reinstall, rules, set_mode
from .status import status

__all__ = [
    "acting", "errors", "ConnectionFailed", "DbguardError", "MigrationFailed",
    "connect", "migrate", "reinstall", "resolve_dsn", "rollback", "rules", "set_mode", "status",
    "ValidationResult", "enqueue_review", "rollback_booking_flags", "validate_appointment_creation",
]
