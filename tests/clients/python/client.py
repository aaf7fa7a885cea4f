"""SQLAlchemy 2.0 ORM client driven by tests/clients (see harness.py for the protocol).

Usage: client.py psycopg|psycopg2 — SQLAlchemy's ``postgresql+psycopg`` or
``postgresql+psycopg2`` dialect. Connection parameters come from the libpq
environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD). The first line on
stdin is the request {"scenario": ..., "params": ...}; answers are JSON lines on
stdout, the last one {"result": ...}.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys

from sqlalchemy import BigInteger, DateTime, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

DRIVER = sys.argv[1]


class Base(DeclarativeBase):
    pass


# The columns an application maps: a subset of the tables, as apps have.
class Call(Base):
    __tablename__ = "calls"
    __table_args__ = {"schema": "public"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    retell_call_id: Mapped[str | None]
    direction: Mapped[str | None]
    booking_id: Mapped[str | None]
    session_outcome: Mapped[str | None]
    booking_confirmed: Mapped[bool] = mapped_column(default=False)
    appointment_made: Mapped[bool] = mapped_column(default=False)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = {"schema": "public"}
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    lead_id: Mapped[int | None] = mapped_column(BigInteger)
    call_id: Mapped[int | None] = mapped_column(BigInteger)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str | None]
    calcom_v2_booking_id: Mapped[str | None]


notices: list[dict] = []


def parse_notice(text_: str) -> dict:
    """psycopg2 hands notices over as libpq's formatted text: 'WARNING:  msg\\nDETAIL:  ...\\nHINT:  ...'."""
    out = {"severity": None, "sqlstate": None, "message": None, "detail": None, "hint": None}
    for line in text_.strip().splitlines():
        head, sep, rest = line.partition(":  ")
        if not sep:
            continue
        if head == "DETAIL":
            out["detail"] = rest
        elif head == "HINT":
            out["hint"] = rest
        elif out["severity"] is None:
            out["severity"], out["message"] = head, rest
    return out


class NoticeCollector:
    """psycopg2 accepts any object with append() as connection.notices."""

    def append(self, message: str) -> None:
        notices.append(parse_notice(message))


def psycopg_notice(diag) -> None:
    notices.append({"severity": diag.severity, "sqlstate": diag.sqlstate, "message": diag.message_primary,
                    "detail": diag.message_detail, "hint": diag.message_hint})


_engine = None


def engine():
    """One engine (and pool) per process, as an application has."""
    global _engine
    if _engine is not None:
        return _engine
    url = URL.create(f"postgresql+{DRIVER}", username=os.environ["PGUSER"], password=os.environ.get("PGPASSWORD"),
                     host=os.environ["PGHOST"], port=int(os.environ["PGPORT"]), database=os.environ["PGDATABASE"])
    eng = create_engine(url)

    @event.listens_for(eng, "connect")
    def listen(dbapi_connection, _record):
        raw = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if DRIVER == "psycopg":
            raw.add_notice_handler(psycopg_notice)
        else:
            raw.notices = NoticeCollector()
    _engine = eng
    return eng


def error_of(exc: BaseException) -> dict:
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)
    return {"kind": type(exc).__name__, "driver_kind": type(orig).__name__,
            "sqlstate": getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None),
            "message": diag.message_primary if diag else str(orig),
            "detail": diag.message_detail if diag else None, "hint": diag.message_hint if diag else None}


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def tag(session: Session) -> None:
    """Who is acting (DESIGN §1.3), as an application tags its transaction."""
    session.execute(text("SELECT set_config('dbguard.actor', 'retell_ai', true), "
                         "set_config('dbguard.source', 'retell_webhook', true)"))


def booking(p: dict, broken: bool) -> dict:
    """A phone-AI booking: the call with its claim, then its appointment, one transaction.
    Broken: the appointment INSERT fails inside a savepoint, the app swallows it and commits."""
    out: dict = {"error": None, "swallowed": None}
    with Session(engine()) as s:
        try:
            tag(s)
            call = Call(company_id=p["company_id"], retell_call_id=p["retell_call_id"], direction="inbound",
                        booking_id=p["booking_id"], booking_confirmed=True, appointment_made=True,
                        session_outcome="appointment_booked")
            s.add(call)
            s.flush()
            out["call_id"] = call.id
            appointment = Appointment(company_id=p["company_id"], call_id=call.id, starts_at=when(p["starts_at"]),
                                      ends_at=when(p["starts_at"] if broken else p["ends_at"]), status="scheduled",
                                      calcom_v2_booking_id=p["booking_id"])
            if broken:
                try:
                    with s.begin_nested():
                        s.add(appointment)
                except IntegrityError as exc:
                    out["swallowed"] = error_of(exc)
            else:
                s.add(appointment)
                s.flush()
                out["appointment_id"] = appointment.id
            s.commit()
        except DBAPIError as exc:
            out["error"] = error_of(exc)
    return out


def probe(p: dict) -> dict:
    out: dict = {"error": None}
    with Session(engine()) as s:
        try:
            s.execute(text(p["warning_sql"]))
            s.execute(text(p["error_sql"]))
            s.commit()
        except DBAPIError as exc:
            out["error"] = error_of(exc)
    return out


def opposite(p: dict) -> dict:
    """Transactions writing an appointment of each lead, in the given order. Each waits for a
    line on stdin before it begins and again between its two writes: the harness starts the
    transactions of all clients together and holds them until all have written once."""
    first, second = p["leads"]
    start = when(p["starts_at"])
    for i in range(p["pairs"]):
        error = None
        sys.stdin.readline()
        with Session(engine()) as s:
            try:
                for n, lead in enumerate((first, second)):
                    at = start + dt.timedelta(days=i, hours=n)
                    s.add(Appointment(company_id=p["company_id"], lead_id=lead, starts_at=at,
                                      ends_at=at + dt.timedelta(minutes=30), status="scheduled"))
                    s.flush()
                    if n == 0:
                        emit({"ready": i})
                        sys.stdin.readline()
                s.commit()
            except DBAPIError as exc:
                error = error_of(exc)
        emit({"done": i, "error": error})
    return {}


def copy(p: dict) -> dict:
    """COPY ... FROM STDIN through the driver under the ORM session, in one transaction."""
    out: dict = {"error": None}
    data = "".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in p["rows"])
    statement = f"COPY public.{p['table']} ({', '.join(p['columns'])}) FROM STDIN"
    with Session(engine()) as s:
        try:
            raw = s.connection().connection.driver_connection
            with raw.cursor() as cur:
                if DRIVER == "psycopg":
                    with cur.copy(statement) as sink:
                        sink.write(data)
                else:
                    cur.copy_expert(statement, io.StringIO(data))
            s.commit()
        except DBAPIError as exc:
            out["error"] = error_of(exc)
        except Exception as exc:  # the raw driver's own error class, outside SQLAlchemy's wrapping
            out["error"] = error_of(exc)
    return out


SCENARIOS = {"happy": lambda p: booking(p, False), "broken": lambda p: booking(p, True), "probe": probe,
             "opposite": opposite, "copy": copy}

if __name__ == "__main__":
    request = json.loads(sys.stdin.readline())
    result = SCENARIOS[request["scenario"]](request["params"])
    result["notices"] = notices
    result["notices_supported"] = True
    emit({"result": result})
