"""SQLAlchemy 2.0 ORM client driven by tests/clients (see harness.py for the protocol).

``Client(driver, login, read_line, emit).serve()`` runs one request: driver ``psycopg``
or ``psycopg2`` (SQLAlchemy's ``postgresql+psycopg`` / ``postgresql+psycopg2``
dialects). The harness runs it in-process, in a thread (a Python interpreter and
SQLAlchemy's import per scenario would cost more than the scenario); as a script,
``client.py psycopg|psycopg2`` reads the request from stdin and connects with the
libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD), like the other
clients.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
from typing import Callable

from sqlalchemy import BigInteger, DateTime, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


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


def parse_notice(message: str) -> dict:
    """psycopg2 hands notices over as libpq's formatted text: 'WARNING:  msg\\nDETAIL:  ...\\nHINT:  ...'."""
    out = {"severity": None, "sqlstate": None, "message": None, "detail": None, "hint": None}
    for line in message.strip().splitlines():
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

    def __init__(self, notices: list[dict]) -> None:
        self.notices = notices

    def append(self, message: str) -> None:
        self.notices.append(parse_notice(message))


def error_of(exc: BaseException) -> dict:
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)
    return {"kind": type(exc).__name__, "driver_kind": type(orig).__name__,
            "sqlstate": getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None),
            "message": diag.message_primary if diag else str(orig),
            "detail": diag.message_detail if diag else None, "hint": diag.message_hint if diag else None}


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def tag(session: Session) -> None:
    """Who is acting (DESIGN §1.3), as an application tags its transaction."""
    session.execute(text("SELECT set_config('dbguard.actor', 'retell_ai', true), "
                         "set_config('dbguard.source', 'retell_webhook', true)"))


class Client:
    def __init__(self, driver: str, login: dict, read_line: Callable[[], str], emit: Callable[[dict], None]) -> None:
        self.driver, self.read_line, self.emit = driver, read_line, emit
        self.notices: list[dict] = []
        url = URL.create(f"postgresql+{driver}", username=login["user"], password=login.get("password"),
                         host=login["host"], port=int(login["port"]), database=login["dbname"])
        # One engine (and pool) per client, as an application has.
        self.engine = create_engine(url)
        event.listen(self.engine, "connect", self._listen)

    def _listen(self, dbapi_connection, _record) -> None:
        raw = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if self.driver == "psycopg":
            raw.add_notice_handler(self._psycopg_notice)
        else:
            raw.notices = NoticeCollector(self.notices)

    def _psycopg_notice(self, diag) -> None:
        self.notices.append({"severity": diag.severity, "sqlstate": diag.sqlstate, "message": diag.message_primary,
                             "detail": diag.message_detail, "hint": diag.message_hint})

    def serve(self) -> None:
        request = json.loads(self.read_line())
        try:
            scenario = request["scenario"]
            result = self.booking(request["params"], scenario == "broken") if scenario in ("happy", "broken") \
                else getattr(self, scenario)(request["params"])
        finally:
            self.engine.dispose()
        result["notices"] = self.notices
        result["notices_supported"] = True
        self.emit({"result": result})

    def booking(self, p: dict, broken: bool) -> dict:
        """A phone-AI booking: the call with its claim, then its appointment, one transaction.
        Broken: the appointment INSERT fails inside a savepoint, the app swallows it and commits."""
        out: dict = {"error": None, "swallowed": None}
        with Session(self.engine) as s:
            try:
                tag(s)
                call = Call(company_id=p["company_id"], retell_call_id=p["retell_call_id"], direction="inbound",
                            booking_id=p["booking_id"], booking_confirmed=True, appointment_made=True,
                            session_outcome="appointment_booked")
                s.add(call)
                s.flush()
                out["call_id"] = call.id
                appointment = Appointment(company_id=p["company_id"], call_id=call.id,
                                          starts_at=when(p["starts_at"]),
                                          ends_at=when(p["starts_at"] if broken else p["ends_at"]),
                                          status="scheduled", calcom_v2_booking_id=p["booking_id"])
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

    def probe(self, p: dict) -> dict:
        out: dict = {"error": None}
        with Session(self.engine) as s:
            try:
                s.execute(text(p["warning_sql"]))
                s.execute(text(p["error_sql"]))
                s.commit()
            except DBAPIError as exc:
                out["error"] = error_of(exc)
        return out

    def opposite(self, p: dict) -> dict:
        """Transactions writing an appointment of each lead, in the given order. Each waits for a
        line before it begins and again between its two writes: the harness starts the
        transactions of all clients together and holds them until all have written once."""
        first, second = p["leads"]
        start = when(p["starts_at"])
        for i in range(p["pairs"]):
            error = None
            self.read_line()
            with Session(self.engine) as s:
                try:
                    for n, lead in enumerate((first, second)):
                        at = start + dt.timedelta(days=i, hours=n)
                        s.add(Appointment(company_id=p["company_id"], lead_id=lead, starts_at=at,
                                          ends_at=at + dt.timedelta(minutes=30), status="scheduled"))
                        s.flush()
                        if n == 0:
                            self.emit({"ready": i})
                            self.read_line()
                    s.commit()
                except DBAPIError as exc:
                    error = error_of(exc)
            self.emit({"done": i, "error": error})
        return {}

    def copy(self, p: dict) -> dict:
        """COPY ... FROM STDIN through the driver under the ORM session, in one transaction."""
        out: dict = {"error": None}
        data = "".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in p["rows"])
        statement = f"COPY public.{p['table']} ({', '.join(p['columns'])}) FROM STDIN"
        with Session(self.engine) as s:
            try:
                raw = s.connection().connection.driver_connection
                with raw.cursor() as cur:
                    if self.driver == "psycopg":
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


def _emit_stdout(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    Client(sys.argv[1], {"host": os.environ["PGHOST"], "port": os.environ["PGPORT"],
                         "dbname": os.environ["PGDATABASE"], "user": os.environ["PGUSER"],
                         "password": os.environ.get("PGPASSWORD")},
           sys.stdin.readline, _emit_stdout).serve()
