"""``dbguard schedule``: run check, reconcile, the daily report and the metrics
regularly -- as pg_cron jobs inside the database where the extension is
installed, otherwise as crontab lines and systemd timers to install on a host.

pg_cron runs SQL only. The check's work -- record a scan alert per offender and
resolve the scan alerts whose offender is gone -- is SQL over
``dbguard_audit.consistency_violations``, so it becomes a pg_cron job. Reconcile
(keyset batches in their own transactions, review queueing), the report (a file)
and the metrics (a file) are Python; they always go to the host scheduler. See
docs/scheduling.md.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .catalog import load_catalog
from .errors import DbguardError

PG_CRON_JOB = "dbguard_check"


def pg_cron_job_name(database: str) -> str:
    """One job per checked database: a single pg_cron database can schedule several."""
    return f"{PG_CRON_JOB}_{database}"


@dataclass(frozen=True)
class Every:
    """A period: every N minutes (N divides 60), every N hours (N divides 24), or daily at HH:MM (UTC)."""
    minutes: int = 0
    hours: int = 0
    at: tuple[int, int] | None = None
    offset: int = 0  # minute past the hour, for hourly jobs

    def cron(self) -> str:
        if self.at:
            return f"{self.at[1]} {self.at[0]} * * *"
        if self.hours:
            return f"{self.offset} {'*' if self.hours == 1 else f'*/{self.hours}'} * * *"
        return "* * * * *" if self.minutes == 1 else f"*/{self.minutes} * * * *"

    def on_calendar(self) -> str:
        if self.at:
            return f"*-*-* {self.at[0]:02d}:{self.at[1]:02d}:00 UTC"
        if self.hours:
            return f"*-*-* 00/{self.hours}:{self.offset:02d}:00 UTC"
        return f"*-*-* *:00/{self.minutes}:00 UTC"


def parse_every(text: str, *, offset: int = 0) -> Every:
    """'15m', '1h', '6h' -> Every. Cron can only repeat evenly within the hour or day."""
    m = re.fullmatch(r"\s*(\d+)\s*(m|min|h)\s*", text or "")
    if not m:
        raise DbguardError(f"invalid period {text!r}: use minutes (15m) or hours (2h)")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "h":
        if n < 1 or 24 % n:
            raise DbguardError(f"invalid period {text!r}: hours must divide 24 (1h, 2h, 3h, 4h, 6h, 8h, 12h, 24h)")
        return Every(hours=n, offset=offset) if n < 24 else Every(at=(0, offset))
    if n < 1 or 60 % n:
        raise DbguardError(f"invalid period {text!r}: minutes must divide 60 (1m, 5m, 10m, 15m, 20m, 30m, 60m)")
    return Every(minutes=n) if n < 60 else Every(hours=1, offset=offset)


def parse_at(text: str) -> Every:
    m = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*", text or "")
    if not m:
        raise DbguardError(f"invalid time {text!r}: use HH:MM (UTC)")
    return Every(at=(int(m.group(1)), int(m.group(2))))


@dataclass(frozen=True)
class Job:
    name: str
    every: Every
    args: tuple[str, ...]
    what: str


def jobs(*, check: str = "15m", reconcile: str = "1h", report_at: str = "06:00", metrics: str | None = "5m",
         report_file: str = "/var/lib/dbguard/report.html",
         metrics_file: str = "/var/lib/prometheus/node-exporter/dbguard.prom") -> list[Job]:
    """The scheduled commands; ``metrics=None`` leaves the metrics out (e.g. when served with --serve)."""
    out = [
        Job("check", parse_every(check), ("check", "--json"), "record scan alerts for rule offenders"),
        Job("reconcile", parse_every(reconcile, offset=30), ("reconcile", "--no-progress"),
            "repair offenders in short batches, queue the rest for review"),
        Job("report", parse_at(report_at), ("report", "--format", "html", "-o", report_file),
            "the daily report, one self-contained HTML page"),
    ]
    if metrics:
        out.append(Job("metrics", parse_every(metrics), ("metrics", "-o", metrics_file),
                       "metrics for node_exporter's textfile collector"))
    return out


def default_executable() -> tuple[str, ...]:
    """The dbguard command as cron or systemd can run it: an absolute path."""
    import shutil
    import sys

    if os.path.basename(sys.argv[0]) == "dbguard" and os.path.isfile(sys.argv[0]):
        return (os.path.abspath(sys.argv[0]),)
    found = shutil.which("dbguard")
    return (os.path.abspath(found),) if found else (sys.executable, "-m", "dbguard")


def _command(executable: tuple[str, ...], job: Job) -> str:
    return " ".join(shlex.quote(a) for a in (*executable, *job.args))


def crontab(job_list: list[Job], executable: tuple[str, ...]) -> str:
    """Lines for ``crontab -e`` of a user that may read the database (see docs/scheduling.md).

    ``check`` exits 2 when a critical violation exists: its JSON goes to a file, not to cron's mail."""
    lines = ["# dbguard (crontab -e); the database comes from DBGUARD_DSN, libpq's PG* variables or ~/.pgpass",
             "# DBGUARD_DSN=postgresql://dbguard@db.example/booking",
             "# times are UTC: CRON_TZ works with cronie; Debian's cron uses the system time zone",
             "CRON_TZ=UTC"]
    for job in job_list:
        command = _command(executable, job).replace("%", r"\%")  # cron turns a bare % into a newline
        redirect = " > /var/lib/dbguard/check.json" if job.name == "check" else ""
        lines.append(f"{job.every.cron()} {command}{redirect}  # {job.what}")
    return "\n".join(lines) + "\n"


def systemd_units(job_list: list[Job], executable: tuple[str, ...], env_file: str = "/etc/dbguard.env") -> str:
    """A oneshot service and a timer per job, as files to put in /etc/systemd/system/."""
    parts = []
    for job in job_list:
        unit = f"dbguard-{job.name}"
        # check exits 2 on a critical violation: a finding, not a failed unit.
        ok = "SuccessExitStatus=2\n" if job.name == "check" else ""
        parts.append(
            f"# /etc/systemd/system/{unit}.service\n"
            f"[Unit]\nDescription=dbguard {job.name}: {job.what}\nAfter=network-online.target\n\n"
            f"[Service]\nType=oneshot\nEnvironmentFile={env_file}\nExecStart={_command(executable, job)}\n{ok}"
            f"User=dbguard\n\n"
            f"# /etc/systemd/system/{unit}.timer\n"
            f"[Unit]\nDescription=dbguard {job.name} schedule\n\n"
            f"[Timer]\nOnCalendar={job.every.on_calendar()}\nPersistent=true\nRandomizedDelaySec=30\n\n"
            f"[Install]\nWantedBy=timers.target\n")
    enable = " ".join(f"dbguard-{j.name}.timer" for j in job_list)
    parts.append(f"# then: systemctl daemon-reload && systemctl enable --now {enable}\n")
    return "\n".join(parts)


def check_job_sql(catalog_dir=None) -> str:
    """What a scheduled check does, in SQL: resolve the open scan alerts of the catalog's
    rules whose offender is gone, then record a scan alert per offender (an open one is
    not duplicated). The same as ``dbguard check`` without --since, over the view."""
    rules = sorted(r.name for r in load_catalog(catalog_dir))
    resolve = sql.SQL(
        """UPDATE dbguard.data_consistency_alerts a SET resolved_at = now(), resolved_by = 'scan'
 WHERE a.detected_by = 'scan' AND a.resolved_at IS NULL AND a.alert_type = a.rule AND a.rule = ANY({rules})
   AND NOT EXISTS (SELECT 1 FROM dbguard_audit.consistency_violations v
                    WHERE v.rule = a.rule AND v.entity_type = a.entity_type AND v.entity_id::text = a.entity_id)"""
    ).format(rules=sql.Literal(rules))
    record = sql.SQL(
        """SELECT count(dbguard.raise_alert(v.rule, v.severity, v.entity_type, v.entity_id::text, v.description,
                            v.details, 'scan', false, v.rule))
  FROM dbguard_audit.consistency_violations v""")
    return f"{resolve.as_string(None)};\n{record.as_string(None)};"


def pg_cron_status(conn: psycopg.Connection) -> str | None:
    """None when pg_cron can take jobs from this database, else why not (and what to do)."""
    installed = conn.execute("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'").fetchone()
    if installed:
        return None
    available = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron'").fetchone()
    preload = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
    if not available:
        return "the pg_cron extension is not installed on the server (Debian: postgresql-NN-cron)"
    if "pg_cron" not in preload:
        return ("pg_cron is installed but not loaded: add it to shared_preload_libraries, set "
                "cron.database_name, restart the server, then CREATE EXTENSION pg_cron")
    return "pg_cron is loaded but not created in this database: CREATE EXTENSION pg_cron (in cron.database_name)"


def install_pg_cron(conn: psycopg.Connection, every: Every, *, database: str | None = None, catalog_dir=None) -> int:
    """Schedule (or re-schedule: same job name) the check job in ``database`` (default: the
    connection's) from the database pg_cron lives in; its pg_cron job id."""
    database = database or conn.info.dbname
    job = conn.execute(
        "SELECT cron.schedule_in_database(%s, %s, %s, %s)",
        (pg_cron_job_name(database), every.cron(), check_job_sql(catalog_dir), database)).fetchone()[0]
    conn.commit()
    return job


def remove_pg_cron(conn: psycopg.Connection, *, database: str | None = None) -> bool:
    """Unschedule the check job of ``database`` (default: the connection's); whether there was one."""
    if pg_cron_status(conn) is not None:
        return False
    name = pg_cron_job_name(database or conn.info.dbname)
    found = conn.execute("SELECT 1 FROM cron.job WHERE jobname = %s", (name,)).fetchone()
    if found:
        conn.execute("SELECT cron.unschedule(%s)", (name,))
        conn.commit()
    return bool(found)
