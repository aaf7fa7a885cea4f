"""Render the HTML daily report on demo data and screenshot it in headless Chromium.

    .venv/bin/python scripts/report_sample.py [--dsn DSN] [--out docs/report-sample.png]

1. `dbguard demo` into its own database (``dbguard_report_sample``, re-created) on the
   server of --dsn (default: $DBGUARD_DSN, else the embedded server in ./.dbguard/);
2. adds four weeks of history the demo does not have: calls per day whose outcome/flag
   consistency improves from about 70 % to 100 % (written as legacy rows, triggers
   bypassed, as before dbguard was installed), alerts per day by severity, review entries
   of several ages -- so every chart has something to show;
3. `dbguard report --format html` into a temporary file, and
   `chromium --headless --screenshot` of it -> docs/report-sample.png.

Needs a superuser DSN (the legacy rows use session_replication_role) and the Debian
package ``chromium``. Look at the PNG before committing it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dbguard.connection import connect, resolve_dsn
from dbguard.demo import demo
from dbguard.reporting import format_report, report

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "dbguard_report_sample"
ALERT_TYPES = [("session_outcome_mismatch", "critical"), ("booking_confirmed_without_appointment", "critical"),
               ("missing_lifecycle_metadata", "warning"), ("call_missing_direction", "warning"),
               ("appointment_made_mismatch", "warning"), ("unknown_booking_source", "info")]


def add_history(conn, days: int = 28, seed: int = 7) -> None:
    rnd = random.Random(seed)
    company = conn.execute("SELECT min(id) FROM public.companies").fetchone()[0]
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for back in range(days, 0, -1):
            share_ok = min(1.0, 0.72 + 0.30 * (days - back) / days + rnd.uniform(-0.04, 0.04))
            for i in range(rnd.randint(10, 20)):
                ok = rnd.random() < share_ok
                booked = rnd.random() < 0.5
                conn.execute(
                    """INSERT INTO public.calls (company_id, direction, session_outcome, appointment_made, created_at)
                       VALUES (%s, 'inbound', %s, %s,
                               date_trunc('day', now()) - make_interval(days => %s) + make_interval(mins => %s))""",
                    (company, "appointment_booked" if booked else "no_appointment", booked == ok, back,
                     rnd.randint(6 * 60, 20 * 60)))
            scale = 0.35 + 0.65 * back / days
            for alert_type, severity in ALERT_TYPES:
                base = {"critical": 5, "warning": 7, "info": 3}[severity]
                for _ in range(max(0, round(rnd.gauss(base * scale, 1.2)))):
                    conn.execute(
                        """INSERT INTO dbguard.data_consistency_alerts
                               (alert_type, severity, entity_type, entity_id, description, detected_by,
                                auto_corrected, detected_at, resolved_at)
                           VALUES (%s, %s, 'calls', %s, 'sample history', 'trigger', %s,
                                   date_trunc('day', now()) - make_interval(days => %s, mins => -%s),
                                   now() - make_interval(days => %s))""",
                        (alert_type, severity, str(rnd.randint(1, 10_000)), rnd.random() < 0.8, back,
                         rnd.randint(0, 1439), max(back - 1, 0)))
        for hours in (0.5, 3, 20, 30, 50, 100, 200, 400):
            conn.execute("""INSERT INTO dbguard.manual_review_queue (call_id, reason, priority, context, created_at)
                            VALUES (NULL, %s, %s, '{}', now() - make_interval(secs => %s))""",
                         (rnd.choice(["calcom_booking_failed", "service_not_found", "customer_creation_failed"]),
                          rnd.randint(2, 4), hours * 3600))


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 2350) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={png}", html.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="server to create the sample database on (superuser)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "report-sample.png"))
    parser.add_argument("--height", type=int, default=2350, help="screenshot height in pixels")
    args = parser.parse_args()
    demo(resolve_dsn(args.dsn), database=DATABASE, echo=lambda _m: None)
    params = conninfo_to_dict(resolve_dsn(args.dsn))
    params["dbname"] = DATABASE
    with connect(make_conninfo(**params)) as conn:
        add_history(conn)
        html = format_report(report(conn), "html")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        screenshot(page, Path(args.out).resolve(), height=args.height)
    print(args.out)


if __name__ == "__main__":
    main()
