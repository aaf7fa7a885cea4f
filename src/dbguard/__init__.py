"""dbguard: consistency rules for appointment-booking databases, enforced by PostgreSQL.

The library functions behind the ``dbguard`` commands::

    from dbguard import migrate, rollback, status, rules, set_mode
    from dbguard import check, reconcile, report, metrics, watch, render
"""

from . import errors
from .acting import acting
from .connection import connect, resolve_dsn
from .errors import ConnectionFailed, DbguardError, MigrationFailed
from .migrator import migrate, rollback
from .rules import reinstall, rules, set_mode
from .status import status
from .detection import check, reconcile
from .reporting import metrics, report
from .views import install_views, render
from .watch import watch

__all__ = [
    "acting", "errors", "ConnectionFailed", "DbguardError", "MigrationFailed",
    "connect", "migrate", "reinstall", "resolve_dsn", "rollback", "rules", "set_mode", "status",
    "check", "reconcile", "report", "metrics", "watch", "render", "install_views",
]
