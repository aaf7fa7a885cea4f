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


# Errors raised inside PostgreSQL by dbguard's rules. Each has its own SQLSTATE in
# class 23 ("integrity constraint violation"), subclass 23Qnn: the SQL standard
# leaves subclasses starting with I-Z to implementations and PostgreSQL uses P,
# so Q collides with neither. Every driver that classifies by class (psycopg 2
# and 3, SQLAlchemy, PDO, node-postgres) sees an integrity error without
# importing dbguard. Subclassing psycopg's error with ``code=`` registers the
# class, so a process that imports dbguard gets exactly these:
#
#     try:
#         conn.commit()
#     except dbguard.errors.BookingWithoutAppointment as exc:
#         exc.diag.message_detail, exc.diag.message_hint
#
# Every one of them is a RuleViolation, itself a psycopg.IntegrityError.
# docs/errors.md has the table of codes.


class RuleViolation(psycopg.errors.IntegrityError):
    """A write refused by a dbguard rule in ``enforce`` mode (SQLSTATE 23Qnn)."""


class GenericRuleViolation(RuleViolation, code="23Q01"):
    pass


class VocabularyViolation(RuleViolation, code="23Q02"):
    """A value outside its vocabulary (dbguard.vocabularies)."""


class BookingWithoutAppointment(RuleViolation, code="23Q03"):
    """A call claims a booking (booking_confirmed / appointment_made) but has no appointment when checked."""


class TenantViolation(RuleViolation, code="23Q04"):
    """Staff of one company assigned to another company's appointment or host mapping."""


class RescheduleChainViolation(RuleViolation, code="23Q05"):
    """rescheduled_from_id points to itself, to another lead/customer, or makes a cycle."""


class FlagMismatch(RuleViolation, code="23Q06"):
    """session_outcome and appointment_made disagree."""


class LifecycleViolation(RuleViolation, code="23Q07"):
    """Lifecycle columns (cancelled_at, status, ...) contradict each other."""


class InvalidActingSetting(RuleViolation, code="23Q08"):
    """A dbguard.* acting setting (e.g. dbguard.user_id) has an unusable value."""


class PinnedVocabularyCode(RuleViolation, code="23Q09"):
    """A shipped vocabulary code that trigger WHEN clauses rely on cannot be deleted or renamed."""
