"""Errors dbguard raises to its callers.

``DbguardError`` is what the CLI turns into one line on stderr and a non-zero exit
code; anything else escaping a command is a bug.
"""

from __future__ import annotations

import psycopg


class DbguardError(Exception):
    """A failure the user can act on; ``str()`` says what failed and what to do."""


class ConnectionFailed(DbguardError):
    pass


class MigrationFailed(DbguardError):
    pass


# Errors raised inside PostgreSQL by dbguard's rules. Each has its own SQLSTATE
# (class "DG"); subclassing psycopg's error with ``code=`` registers the class,
# so psycopg raises exactly these and applications can catch them:
#
#     try:
#         conn.commit()
#     except dbguard.errors.BookingWithoutAppointment as exc:
#         exc.diag.message_detail, exc.diag.message_hint
#
# Every one of them is a RuleViolation, itself a psycopg.IntegrityError.


class RuleViolation(psycopg.errors.IntegrityError):
    """A write refused by a dbguard rule in ``enforce`` mode (SQLSTATE DG001)."""


class GenericRuleViolation(RuleViolation, code="DG001"):
    pass


class VocabularyViolation(RuleViolation, code="DG002"):
    """A value outside its vocabulary (dbguard.vocabularies)."""


class BookingWithoutAppointment(RuleViolation, code="DG003"):
    """A call claims a booking (booking_confirmed / appointment_made) but has no appointment at commit."""


class TenantViolation(RuleViolation, code="DG004"):
    """Staff of one company assigned to another company's appointment or host mapping."""


class RescheduleChainViolation(RuleViolation, code="DG005"):
    """rescheduled_from_id points to itself, to another lead/customer, or makes a cycle."""


class FlagMismatch(RuleViolation, code="DG006"):
    """session_outcome and appointment_made disagree."""


class LifecycleViolation(RuleViolation, code="DG007"):
    """Lifecycle columns (cancelled_at, status, ...) contradict each other."""


class InvalidActingSetting(RuleViolation, code="DG008"):
    """A dbguard.* acting setting (e.g. dbguard.user_id) has an unusable value."""


class PinnedVocabularyCode(RuleViolation, code="DG009"):
    """A shipped vocabulary code that trigger WHEN clauses rely on cannot be deleted or renamed."""
