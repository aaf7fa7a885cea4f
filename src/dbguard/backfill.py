"""Backfills (DESIGN.md §3): repair legacy rows the rules never saw.

- ``appointments``: the missing appointment of each confirmed call without one,
  from ``calls.booking_details``;
- ``metadata``: lifecycle columns of old appointments, from their ``source``;
- ``lead-history``: an appointment row for each lead that only has rollup data.

Each is idempotent: it only looks at rows that still need it, and a row it
cannot repair goes to the manual review queue once. Rows are read in keyset
batches (``id >= next id``, from the lowest bigint); each batch is one short transaction tagged
``dbguard.actor = 'system_migration'``, ``dbguard.source = 'backfill'``, and each
row a savepoint inside it, so one bad row costs one row, never the run.
``dry_run`` does the same work and rolls every batch back (sequences may
advance; no row changes). Nothing is ever deleted.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from . import locks
from .connection import require_installed
from .errors import DbguardError

KINDS = ("appointments", "metadata", "lead-history")
DEFAULT_BATCH_SIZE = 500
ACTOR, SOURCE = "system_migration", "backfill"
# Reasons used on the manual review queue.
REASON_SERVICE = "service_not_found"
REASON_UNPARSEABLE = "booking_details_unparseable"
REASON_FAILED = "appointment_backfill_failed"
REASON_LEAD = "lead_history_unparseable"
_ANONYMOUS = {"", "anonymous", "anonym", "unknown", "unbekannt", "private", "withheld", "n/a", "none", "null"}
_PROBLEMS_KEPT = 200
_MIN_ID, _MAX_ID = -(2 ** 63), 2 ** 63 - 1
# Deeper booking_details are not a booking any provider writes: manual review.
# Well below Python's recursion limit, so that decoding and reporting never recurse out.
_MAX_DEPTH = 100


@dataclass
class BackfillResult:
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    skipped: int = 0
    review: int = 0
    errors: int = 0
    batches: int = 0
    # (id, outcome, detail) of rows not created/updated, the first _PROBLEMS_KEPT
    problems: list[dict] = field(default_factory=list)

    def count(self, row_id: Any, outcome: str, detail: str | None) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome not in ("created", "updated") and len(self.problems) < _PROBLEMS_KEPT:
            self.problems.append({"id": row_id, "outcome": outcome, "detail": detail})

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        return (f"backfill {self.kind}{' (dry run: nothing changed)' if self.dry_run else ''}: "
                f"{self.created} {verb}created, {self.updated} {verb}updated, {self.skipped} skipped, "
                f"{self.review} {verb}queued for manual review, {self.errors} errors")


Outcome = tuple[str, str | None]  # ("created"|"updated"|"skipped"|"review", detail)


class Unparseable(ValueError):
    """booking_details (or a lead's rollup) cannot be turned into an appointment."""


# --------------------------------------------------------------------------- driver

def _run(conn: psycopg.Connection, kind: str, candidates: str, handle: Callable[[psycopg.Connection, Any], Outcome],
         *, dry_run: bool, batch_size: int,
         on_error: Callable[[psycopg.Connection, Any, str], None] | None = None) -> BackfillResult:
    if batch_size < 1:
        raise DbguardError(f"batch size must be at least 1, not {batch_size}")
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise DbguardError("backfill commits batch by batch: commit or roll back the connection's open "
                           "transaction first (or pass a connection of its own)")
    require_installed(conn)
    with locks.exclusive(conn, "backfill", [kind]):
        return _batches(conn, kind, candidates, handle, dry_run, batch_size, on_error)


def _batches(conn, kind, candidates, handle, dry_run, batch_size, on_error) -> BackfillResult:
    result = BackfillResult(kind, dry_run)
    # Keyset from the lowest bigint: ids <= 0 are rows like any other.
    start: int | None = _MIN_ID
    while start is not None:
        with conn.transaction():
            ids = [r[0] for r in conn.execute(candidates, {"start": start, "limit": batch_size})]
        if not ids:
            return result
        start = ids[-1] + 1 if ids[-1] < _MAX_ID else None
        result.batches += 1
        outcomes: list[tuple[Any, str, str | None]] = []
        try:
            with conn.transaction() as tx:
                conn.execute("SELECT set_config('dbguard.actor', %s, true), set_config('dbguard.source', %s, true)",
                             (ACTOR, SOURCE))
                for row_id in ids:
                    outcomes.append((row_id, *_one(conn, row_id, handle, on_error)))
                if dry_run:
                    raise psycopg.Rollback(tx)
        except psycopg.Error as exc:
            # Only what fails at COMMIT gets here (deferred rules): the whole batch is undone.
            message = _message(exc)
            outcomes = [(row_id, "errors", f"batch rolled back at commit: {message}") for row_id in ids]
        for row_id, outcome, detail in outcomes:
            result.count(row_id, outcome, detail)
    return result


def _one(conn: psycopg.Connection, row_id: Any, handle, on_error) -> Outcome:
    try:
        with conn.transaction():
            return handle(conn, row_id)
    except (psycopg.Error, RecursionError) as exc:
        # RecursionError: a legacy value too deep for Python to decode; one row, not the run.
        message = _message(exc) if isinstance(exc, psycopg.Error) else f"row too deeply nested to read: {exc}"
        if on_error is not None:
            try:
                with conn.transaction():
                    on_error(conn, row_id, message)
            except psycopg.Error as second:
                message += f" (and queueing it for review failed: {_message(second)})"
        return "errors", message


def _message(exc: psycopg.Error) -> str:
    text = " ".join(str(exc).split())
    return f"{exc.sqlstate or ''} {text}".strip()


def backfill(conn: psycopg.Connection, kind: str, *, dry_run: bool = False,
             batch_size: int = DEFAULT_BATCH_SIZE) -> BackfillResult:
    """Run one backfill by name: appointments, metadata or lead-history."""
    functions = {"appointments": backfill_appointments, "metadata": backfill_metadata,
                 "lead-history": backfill_lead_history}
    if kind not in functions:
        raise DbguardError(f"unknown backfill {kind!r}; use one of: {', '.join(KINDS)}")
    return functions[kind](conn, dry_run=dry_run, batch_size=batch_size)


def _queue_review(conn: psycopg.Connection, call_id: int | None, reason: str, context: dict,
                  lead_id: int | None = None) -> Outcome:
    """Queue a row for a person once: an entry still open, or dismissed, is not queued again."""
    existing = conn.execute(
        """SELECT id, status FROM dbguard.manual_review_queue
            WHERE reason = %s AND status IN ('pending', 'in_progress', 'dismissed')
              AND (call_id = %s OR (%s::bigint IS NOT NULL AND context->>'lead_id' = %s::text))
            ORDER BY id DESC LIMIT 1""", (reason, call_id, lead_id, lead_id)).fetchone()
    if existing:
        return "skipped", f"already on the manual review queue as entry {existing[0]} ({existing[1]}): {reason}"
    conn.execute("SELECT dbguard.enqueue_review(%s, %s, %s)", (call_id, reason, Jsonb(context)))
    return "review", f"{reason}: {context.get('problem', '')}".rstrip(": ")


# --------------------------------------------------------------------------- appointments

@dataclass
class Booking:
    starts_at: datetime
    ends_at: datetime | None
    timezone: str | None
    service_id: int | None
    service_name: str | None
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    booking_id: str | None


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise Unparseable(f"{what} is nested too deeply to read (more than {_MAX_DEPTH} levels)") from None


def _decoded(text: str | None) -> Any:
    """The jsonb text of calls.booking_details as Python values (None for SQL NULL)."""
    if text is None:
        return None
    if _depth_exceeds(text, _MAX_DEPTH):
        raise Unparseable(f"booking_details is nested too deeply to read (more than {_MAX_DEPTH} levels)")
    return _json(text, "booking_details")


def _depth_exceeds(text: str, limit: int) -> bool:
    """Whether a JSON text nests brackets deeper than ``limit`` (strings skipped), without recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _as_object(value: Any, what: str) -> dict:
    if isinstance(value, str):  # double-encoded JSON, common in legacy writers
        if _depth_exceeds(value, _MAX_DEPTH):
            raise Unparseable(f"{what} is nested too deeply to read (more than {_MAX_DEPTH} levels)")
        try:
            value = _json(value, what)
        except ValueError as exc:
            if isinstance(exc, Unparseable):
                raise
            raise Unparseable(f"{what} is a string that is not JSON") from None
    if not isinstance(value, dict):
        kind = {list: "an array", int: "a number", float: "a number", bool: "a boolean"}.get(type(value), "null")
        raise Unparseable(f"{what} is {kind}, not a JSON object")
    return value


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list, bool)):
        raise Unparseable(f"{key} is not a scalar: {json.dumps(value)[:80]}")
    text = str(value).strip()
    return text or None


def _timestamp(data: dict, key: str, zone: ZoneInfo | None) -> datetime | None:
    text = _text(data, key)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Unparseable(f"{key} {text!r} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        if zone is None:
            raise Unparseable(f"{key} {text!r} has no UTC offset and booking_details has no timezone")
        value = value.replace(tzinfo=zone)
    # In UTC from here on: Python adds and compares datetimes of one zone on the wall
    # clock, so across a DST change "+ 30 minutes" could end before it starts.
    return value.astimezone(timezone.utc)


def parse_booking(raw: Any, call_booking_id: str | None) -> Booking:
    """booking_details → Booking, or Unparseable saying what is wrong.

    Keys may sit at the top level or in a ``booking`` sub-object (which wins).
    """
    data = _as_object(raw, "booking_details")
    if data.get("booking") is not None:
        data = {**data, **_as_object(data["booking"], "booking_details.booking")}
    zone_name = _text(data, "timezone")
    zone = None
    if zone_name is not None:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise Unparseable(f"timezone {zone_name!r} is not an IANA time zone") from None
    starts_at = _timestamp(data, "starts_at", zone)
    if starts_at is None:
        raise Unparseable("booking_details has no starts_at")
    ends_at = _timestamp(data, "ends_at", zone)
    if ends_at is not None and ends_at <= starts_at:
        raise Unparseable(f"ends_at {ends_at.isoformat()} is not after starts_at {starts_at.isoformat()}")
    service_id = _text(data, "service_id")
    if service_id is not None and not re.fullmatch(r"\d{1,18}", service_id):
        raise Unparseable(f"service_id {service_id!r} is not an id")
    return Booking(
        starts_at=starts_at, ends_at=ends_at, timezone=zone_name,
        service_id=int(service_id) if service_id else None, service_name=_text(data, "service_name"),
        customer_name=_text(data, "customer_name"), customer_email=_text(data, "customer_email"),
        customer_phone=_text(data, "customer_phone"),
        booking_id=_text(data, "calcom_booking_id") or (call_booking_id.strip() or None if call_booking_id else None),
    )


def _find_service(conn: psycopg.Connection, call: dict, booking: Booking) -> tuple[dict | None, str]:
    """The booked service, or None and why not."""
    cur = conn.cursor(row_factory=dict_row)
    if booking.service_id is not None:
        service = cur.execute("SELECT id, company_id, branch_id, duration_minutes, calcom_event_type_id "
                              "FROM public.services WHERE id = %s", (booking.service_id,)).fetchone()
        if service is None:
            return None, f"service_id {booking.service_id} does not exist"
        if None not in (service["company_id"], call["company_id"]) and service["company_id"] != call["company_id"]:
            return None, (f"service_id {booking.service_id} belongs to company {service['company_id']}, "
                          f"the call to company {call['company_id']}")
        return service, ""
    if booking.service_name is None:
        return None, "booking_details names no service (service_id or service_name)"
    services = cur.execute(
        """SELECT id, company_id, branch_id, duration_minutes, calcom_event_type_id FROM public.services
            WHERE lower(btrim(name)) = lower(%s) AND (%s::bigint IS NULL OR company_id = %s)
            ORDER BY id""", (booking.service_name, call["company_id"], call["company_id"])).fetchall()
    if len(services) > 1 and call["branch_id"] is not None:
        services = [s for s in services if s["branch_id"] == call["branch_id"]] or services
    if len(services) == 1:
        return services[0], ""
    if not services:
        return None, f"no service named {booking.service_name!r} in company {call['company_id']}"
    return None, f"{len(services)} services named {booking.service_name!r}: {[s['id'] for s in services]}"


def _is_anonymous(booking: Booking) -> bool:
    def blank(value):
        return value is None or value.strip().lower() in _ANONYMOUS
    return blank(booking.customer_name) and blank(booking.customer_phone)


def _find_or_create_customer(conn: psycopg.Connection, call: dict, booking: Booking) -> tuple[int, list[str]]:
    """The appointment's customer id, and notes to keep on the appointment."""
    if call["customer_id"] is not None:
        return call["customer_id"], []
    company = call["company_id"]
    if _is_anonymous(booking):
        # A shared "anonymous" identity would merge strangers: one placeholder per call.
        email = f"anonymous+call-{call['id']}@placeholder.invalid"
        notes = ["anonymous caller: placeholder customer created by dbguard backfill"]
        if booking.customer_email:
            notes.append(f"original e-mail: {booking.customer_email}")
        name, phone = f"Anonymous caller (call {call['id']})", None
    else:
        email, name, phone, notes = booking.customer_email, booking.customer_name, booking.customer_phone, []
        if email:
            row = conn.execute("SELECT id FROM public.customers WHERE company_id IS NOT DISTINCT FROM %s "
                               "AND lower(email) = lower(%s) ORDER BY id LIMIT 1", (company, email)).fetchone()
            if row:
                return row[0], notes
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) >= 6:
            rows = conn.execute("SELECT id FROM public.customers WHERE company_id IS NOT DISTINCT FROM %s "
                                "AND regexp_replace(phone, '\\D', '', 'g') = %s ORDER BY id LIMIT 2",
                                (company, digits)).fetchall()
            if len(rows) == 1:
                return rows[0][0], notes
    row = conn.execute("SELECT id FROM public.customers WHERE company_id IS NOT DISTINCT FROM %s AND email = %s",
                       (company, email)).fetchone() if email else None
    if row is None:
        row = conn.execute("INSERT INTO public.customers (company_id, name, email, phone) VALUES (%s, %s, %s, %s) "
                           "RETURNING id", (company, name, email, phone)).fetchone()
        notes.append(f"customer {row[0]} created by dbguard backfill from the call's booking details")
    return row[0], notes


def _appointment_for_call(conn: psycopg.Connection, call_id: int) -> Outcome:
    call = conn.cursor(row_factory=dict_row).execute(
        # booking_details as text: decoding it is parse_booking's job, where a
        # document too deep for Python's decoder becomes a review entry, not a crash.
        """SELECT id, company_id, branch_id, customer_id, booking_id, booking_details::text AS booking_details,
                  booking_confirmed, created_at
             FROM public.calls WHERE id = %s FOR NO KEY UPDATE""", (call_id,)).fetchone()
    if call is None or not call["booking_confirmed"]:
        return "skipped", "no longer a confirmed call"
    existing = conn.execute("SELECT id FROM public.appointments WHERE call_id = %s LIMIT 1", (call_id,)).fetchone()
    if existing:
        return "skipped", f"appointment {existing[0]} exists"
    try:
        booking = parse_booking(_decoded(call["booking_details"]), call["booking_id"])
    except Unparseable as exc:
        return _queue_review(conn, call_id, REASON_UNPARSEABLE,
                             {"problem": str(exc), "found_by": "dbguard backfill appointments"})
    if booking.booking_id:
        holder = conn.execute("SELECT id, call_id FROM public.appointments WHERE calcom_v2_booking_id = %s",
                              (booking.booking_id,)).fetchone()
        if holder:
            return "skipped", (f"appointment {holder[0]} already carries booking id {booking.booking_id} "
                               f"(its call_id is {holder[1]}); linking it is a reconciliation, not a backfill")
    service, why = _find_service(conn, call, booking)
    if service is None:
        return _queue_review(conn, call_id, REASON_SERVICE, {
            "problem": why, "service_id": booking.service_id, "service_name": booking.service_name,
            "found_by": "dbguard backfill appointments"})
    customer_id, notes = _find_or_create_customer(conn, call, booking)
    ends_at = booking.ends_at
    if ends_at is None and service["duration_minutes"]:
        try:
            ends_at = booking.starts_at + timedelta(minutes=service["duration_minutes"])
        except OverflowError:
            # A start at the end of the calendar (9999-12-31) has no end a person could book.
            return _queue_review(conn, call_id, REASON_UNPARSEABLE, {
                "problem": f"starts_at {booking.starts_at.isoformat()} plus the service's "
                           f"{service['duration_minutes']} minutes is past the last representable date",
                "found_by": "dbguard backfill appointments"})
    notes.insert(0, f"created by dbguard backfill from calls.booking_details of call {call_id}")
    row = conn.execute(
        """INSERT INTO public.appointments
               (company_id, branch_id, customer_id, service_id, call_id, starts_at, ends_at, booking_timezone,
                status, source, booking_source, created_by, provider, calcom_v2_booking_id, calcom_event_type_id,
                notes, metadata, created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'confirmed', 'backfill', 'backfill', 'system_migration',
                   %s, %s, %s, %s, %s, coalesce(%s, now()))
           ON CONFLICT (calcom_v2_booking_id) DO NOTHING
           RETURNING id""",
        (call["company_id"], call["branch_id"] or service["branch_id"], customer_id, service["id"], call_id,
         booking.starts_at, ends_at, booking.timezone, "calcom" if booking.booking_id else None,
         booking.booking_id, service["calcom_event_type_id"], "\n".join(notes),
         Jsonb({"backfill": {"kind": "appointments", "from": "calls.booking_details", "call_id": call_id}}),
         call["created_at"])).fetchone()
    if row is None:
        return "skipped", f"booking id {booking.booking_id} was taken by another writer meanwhile"
    return "created", f"appointment {row[0]}"


def _appointment_failed(conn: psycopg.Connection, call_id: int, message: str) -> None:
    _queue_review(conn, call_id, REASON_FAILED, {"problem": message, "found_by": "dbguard backfill appointments"})


def backfill_appointments(conn: psycopg.Connection, *, dry_run: bool = False,
                          batch_size: int = DEFAULT_BATCH_SIZE) -> BackfillResult:
    """Create the missing appointment of every confirmed call that has none."""
    return _run(conn, "appointments",
                """SELECT c.id FROM public.calls c
                    WHERE c.booking_confirmed AND c.id >= %(start)s
                      AND NOT EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = c.id)
                    ORDER BY c.id LIMIT %(limit)s""",
                _appointment_for_call, dry_run=dry_run, batch_size=batch_size, on_error=_appointment_failed)


# --------------------------------------------------------------------------- metadata

def _metadata_for_appointment(conn: psycopg.Connection, appointment_id: int) -> Outcome:
    row = conn.cursor(row_factory=dict_row).execute(
        """SELECT a.source, a.status, m.booking_source IS NOT NULL AS mapped,
                  coalesce(a.created_by, m.created_by, 'unknown') AS created_by,
                  coalesce(a.booking_source, m.booking_source, 'unknown') AS booking_source,
                  CASE WHEN a.status = 'cancelled' THEN coalesce(a.cancelled_by, 'unknown') ELSE a.cancelled_by END
                      AS cancelled_by,
                  (a.created_by IS NULL) AS fill_created_by, (a.booking_source IS NULL) AS fill_booking_source,
                  (a.status = 'cancelled' AND a.cancelled_by IS NULL) AS fill_cancelled_by
             FROM public.appointments a
             -- the derivation creation_metadata applies to new rows
             LEFT JOIN LATERAL dbguard.source_lifecycle(a.source) m ON true
            WHERE a.id = %s
              FOR NO KEY UPDATE OF a""", (appointment_id,)).fetchone()
    if row is None:
        return "skipped", "appointment no longer exists"
    filled = [c for c in ("created_by", "booking_source", "cancelled_by") if row[f"fill_{c}"]]
    if not filled:
        return "skipped", "nothing left to fill"
    conn.execute(
        """UPDATE public.appointments SET created_by = %s, booking_source = %s, cancelled_by = %s WHERE id = %s""",
        (row["created_by"], row["booking_source"], row["cancelled_by"], appointment_id))
    how = f"source {row['source']!r} mapped" if row["mapped"] else f"source {row['source']!r} unknown: 'unknown'"
    return "updated", f"filled {', '.join(filled)} ({how})"


def backfill_metadata(conn: psycopg.Connection, *, dry_run: bool = False,
                      batch_size: int = DEFAULT_BATCH_SIZE) -> BackfillResult:
    """Fill NULL created_by / booking_source (from source) and cancelled_by of cancelled rows."""
    return _run(conn, "metadata",
                """SELECT a.id FROM public.appointments a
                    WHERE a.id >= %(start)s
                      AND (a.created_by IS NULL OR a.booking_source IS NULL
                           OR (a.status = 'cancelled' AND a.cancelled_by IS NULL))
                    ORDER BY a.id LIMIT %(limit)s""",
                _metadata_for_appointment, dry_run=dry_run, batch_size=batch_size)


# --------------------------------------------------------------------------- lead history

_STATUS_ALIASES = {"canceled": "cancelled", "no-show": "no_show", "noshow": "no_show", "booked": "scheduled"}
_PROVIDER_ALIASES = {"cal.com": "calcom", "cal_com": "calcom", "gohighlevel": "ghl"}


def _vocabulary(conn: psycopg.Connection, vocabulary: str) -> set[str]:
    return {r[0] for r in conn.execute("SELECT code FROM dbguard.vocabularies WHERE vocabulary = %s",
                                       (vocabulary,))}


def _lead_status(conn: psycopg.Connection, lead: dict) -> str:
    raw = (lead["appointment_status"] or "").strip().lower()
    status = _STATUS_ALIASES.get(raw, raw)
    if not status:
        return "cancelled" if lead["appointment_canceled_at"] else "scheduled"
    if status not in _vocabulary(conn, "appointment_status"):
        raise Unparseable(f"leads.appointment_status {lead['appointment_status']!r} is not an appointment status")
    return status


def _history_for_lead(conn: psycopg.Connection, lead_id: int) -> Outcome:
    lead = conn.cursor(row_factory=dict_row).execute(
        """SELECT l.*, (SELECT a.id FROM public.appointments a WHERE a.id = l.appointment_id) AS linked_id
             FROM public.leads l WHERE l.id = %s FOR NO KEY UPDATE OF l""", (lead_id,)).fetchone()
    if lead is None or lead["appointment_start_at"] is None:
        return "skipped", "lead has no rollup data any more"
    existing = conn.execute("SELECT id FROM public.appointments WHERE lead_id = %s LIMIT 1", (lead_id,)).fetchone()
    if existing:
        return "skipped", f"appointment {existing[0]} exists"
    if lead["linked_id"] is not None:
        return "skipped", (f"leads.appointment_id points to appointment {lead['linked_id']}, which has no lead_id; "
                           "linking it is a reconciliation, not a backfill")
    try:
        status = _lead_status(conn, lead)
    except Unparseable as exc:
        return _queue_review(conn, None, REASON_LEAD, {"problem": str(exc), "lead_id": lead_id,
                                                       "found_by": "dbguard backfill lead-history"},
                             lead_id=lead_id)
    notes = [f"created by dbguard backfill from the rollup columns of lead {lead_id}"]
    ends_at = lead["appointment_end_at"]
    if ends_at is not None and ends_at <= lead["appointment_start_at"]:
        notes.append(f"rollup end {ends_at.isoformat()} was not after the start; left empty")
        ends_at = None
    raw_provider = (lead["appointment_provider"] or "").strip().lower()
    provider = _PROVIDER_ALIASES.get(raw_provider, raw_provider) or None
    if provider is not None and provider not in _vocabulary(conn, "provider"):
        notes.append(f"rollup provider {lead['appointment_provider']!r} is not a known provider; left empty")
        provider = None
    cancelled_at = None
    if status == "cancelled":
        cancelled_at = lead["appointment_canceled_at"] or lead["appointment_last_checked_at"] or lead["updated_at"]
    row = conn.execute(
        """INSERT INTO public.appointments
               (company_id, customer_id, lead_id, starts_at, ends_at, status, cancelled_at, cancelled_by,
                source, booking_source, created_by, provider, notes, metadata)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'migration', 'migration', 'system_migration', %s, %s, %s)
           RETURNING id""",
        (lead["company_id"], lead["customer_id"], lead_id, lead["appointment_start_at"], ends_at, status,
         cancelled_at, "unknown" if cancelled_at else None, provider, "\n".join(notes),
         Jsonb({"backfill": {"kind": "lead-history", "lead_id": lead_id,
                             "lead_appointment_source": lead["appointment_source"],
                             "lead_appointment_id": lead["appointment_id"]}}))).fetchone()
    conn.execute("UPDATE public.leads SET appointment_id = %s WHERE id = %s AND appointment_id IS DISTINCT FROM %s",
                 (row[0], lead_id, row[0]))
    return "created", f"appointment {row[0]}"


def backfill_lead_history(conn: psycopg.Connection, *, dry_run: bool = False,
                          batch_size: int = DEFAULT_BATCH_SIZE) -> BackfillResult:
    """Create an appointment (source 'migration') for each lead known only by its rollup columns."""
    return _run(conn, "lead-history",
                """SELECT l.id FROM public.leads l
                    WHERE l.id >= %(start)s AND l.appointment_start_at IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM public.appointments a WHERE a.lead_id = l.id)
                    ORDER BY l.id LIMIT %(limit)s""",
                _history_for_lead, dry_run=dry_run, batch_size=batch_size)
