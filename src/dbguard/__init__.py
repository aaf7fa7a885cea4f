"""dbguard: consistency rules for appointment-booking databases, enforced by PostgreSQL.

The library functions behind the ``dbguard`` commands::

    from dbguard import migrate, rollback, status, rules, set_mode
    from dbguard import check, reconcile, report, metrics, watch, render

What they return, one style: a result they compute is a dataclass with ``as_dict()``
for JSON (check, reconcile, backfill, readiness, preflight); rows read from a
dbguard table are dicts keyed by column (alerts, review, breaker_status); the
report and the demo are documents (nested dicts). ``dbguard.jsonout.to_json``
writes any of them.
"""

from . import errors
from .acting import acting
from .bookings import ValidationResult, enqueue_review, rollback_booking_flags, validate_appointment_creation
from .connection import connect, resolve_dsn
from .errors import ConnectionFailed, DbguardError, MigrationFailed
from .migrator import migrate, rollback
from .rules import reinstall, rules, set_mode, set_modes
from .staff import assign_staff_from_booking, resolve_staff_for_host
from .status import status
from .backfill import backfill, backfill_appointments, backfill_lead_history, backfill_metadata
from .circuit_breaker import BreakerOpen, breaker, breaker_configure, breaker_reset, breaker_status
from .review import review, review_dismiss, review_resolve, review_start
from .roles import roles
from .detection import check, reconcile
from .reporting import metrics, report
from .views import install_views, render
from .watch import watch
from .alerts import alerts, alerts_resolve
from .preflight import preflight
from .readiness import readiness

__all__ = [
    "acting", "errors", "ConnectionFailed", "DbguardError", "MigrationFailed",
    "connect", "migrate", "reinstall", "resolve_dsn", "rollback", "rules", "set_mode", "set_modes", "status",
    "assign_staff_from_booking", "resolve_staff_for_host",
    "backfill", "backfill_appointments", "backfill_lead_history", "backfill_metadata",
    "BreakerOpen", "breaker", "breaker_configure", "breaker_reset", "breaker_status",
    "review", "review_dismiss", "review_resolve", "review_start", "roles",
    "ValidationResult", "enqueue_review", "rollback_booking_flags", "validate_appointment_creation",
    "check", "reconcile", "report", "metrics", "watch", "render", "install_views",
    "alerts", "alerts_resolve", "preflight", "readiness",
]
