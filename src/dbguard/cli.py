"""The ``dbguard`` command line: each command is a thin wrapper over the library
function of the same name; errors become one line on stderr, never a traceback."""

from __future__ import annotations

import json
import sys
from functools import cached_property

import click
import psycopg

from . import embedded as embedded_lib
from . import migrator
from .connection import connect, resolve_dsn
from .errors import DbguardError
from .rules import MODES
from .rules import reinstall as reinstall_fn
from .rules import rules as rules_fn
from .rules import set_mode as set_mode_fn
from .status import status as status_fn
from . import circuit_breaker as breaker_lib
from .backfill import DEFAULT_BATCH_SIZE as BACKFILL_BATCH_SIZE
from .backfill import KINDS as BACKFILL_KINDS
from .backfill import backfill as backfill_fn
from .review import OPEN_STATUSES as REVIEW_OPEN_STATUSES
from .review import STATUSES as REVIEW_STATUSES
from .review import review as review_fn
from .review import review_dismiss as review_dismiss_fn
from .review import review_resolve as review_resolve_fn
from .review import review_start as review_start_fn
from .roles import roles as roles_fn


class Context:
    def __init__(self, dsn: str | None):
        self._given = dsn

    @cached_property
    def dsn(self) -> str:
        return resolve_dsn(self._given)

    def connect(self, **kwargs) -> psycopg.Connection:
        return connect(self.dsn, **kwargs)


pass_ctx = click.make_pass_decorator(Context)


def emit_json(data) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def emit_table(rows: list[dict], columns: list[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def role_options(f):
    """--app-role, --analyst-role, --owner-role (see docs/operations-breaker-roles-backfill.md)."""
    f = click.option("--owner-role", metavar="NAME", help="Role to own dbguard's objects and the domain tables.")(f)
    f = click.option("--analyst-role", metavar="NAME", help="Role that reads the dbguard_audit views only.")(f)
    return click.option("--app-role", metavar="NAME", help="Role the applications write the domain tables as.")(f)


@click.group()
@click.option("--dsn", metavar="DSN",
              help="PostgreSQL connection string. Default: $DBGUARD_DSN, else $DATABASE_URL, "
                   "else the embedded server in ./.dbguard/.")
@click.version_option(package_name="dbguard")
@click.pass_context
def cli(ctx: click.Context, dsn: str | None) -> None:
    """dbguard: consistency rules for appointment-booking databases, enforced by PostgreSQL."""
    ctx.obj = Context(dsn)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the SQL of the pending migrations; change nothing.")
@click.option("--lock-timeout", default=migrator.DEFAULT_LOCK_TIMEOUT, show_default=True,
              help="How long each migration may keep trying to get its table locks (in short waits that "
                   "let other writers pass) before it gives up.")
@click.option("--mode", "rule_mode", type=click.Choice(MODES),
              help="Rules this run installs start in this mode (alert: shadow roll-out); installed rules keep theirs.")
@json_option
@role_options
@pass_ctx
def migrate(ctx: Context, dry_run: bool, lock_timeout: str, rule_mode: str | None, as_json: bool,
            app_role: str | None, analyst_role: str | None, owner_role: str | None) -> None:
    """Apply pending migrations (one migrator at a time; a second one waits).

    With --app-role / --analyst-role / --owner-role, then create or grant those roles (as dbguard roles)."""
    result = migrator.migrate(ctx.dsn, dry_run=dry_run, lock_timeout=lock_timeout, mode=rule_mode)
    granted = None
    if not dry_run and (app_role or analyst_role or owner_role):
        with ctx.connect() as conn:
            granted = roles_fn(conn, app=app_role, analyst=analyst_role, owner=owner_role)
        names = ", ".join(f"{k} {granted[k]}" for k in ("app", "analyst", "owner") if granted[k])
        click.echo(f"dbguard: roles granted: {names}", err=True)
    if as_json:
        emit_json({"dry_run": dry_run, "applied": result.applied, "sql": result.sql, "roles": granted,
                   "created_tables": result.created_tables, "extended_tables": result.extended_tables,
                   "new_rule_modes": result.new_rule_modes, "preflight": result.blockers})
    elif dry_run:
        click.echo("".join(f"-- PREFLIGHT: {b}\n" for b in result.blockers)
                   + ("\n\n".join(result.sql) if result.sql else "-- nothing to apply"))
    else:
        click.echo(f"{len(result.applied)} migration(s) applied" if result.applied else "already up to date")


@cli.command()
@click.option("--count", default=1, show_default=True, help="How many migrations to roll back.")
@click.option("--all", "all_", is_flag=True, help="Roll back every dbguard migration.")
@click.option("--dry-run", is_flag=True, help="Print the rollback SQL; change nothing.")
@click.option("--lock-timeout", default=migrator.DEFAULT_LOCK_TIMEOUT, show_default=True)
@json_option
@pass_ctx
def rollback(ctx: Context, count: int, all_: bool, dry_run: bool, lock_timeout: str, as_json: bool) -> None:
    """Roll back the most recent migrations. Never drops a table that has rows."""
    result = migrator.rollback(ctx.dsn, count=None if all_ else count, dry_run=dry_run, lock_timeout=lock_timeout)
    if as_json:
        emit_json({"dry_run": dry_run, "rolled_back": result.rolled_back, "sql": result.sql,
                   "blockers": result.blockers})
    elif dry_run:
        click.echo("".join(f"-- REFUSED: {b}\n" for b in result.blockers)
                   + ("\n\n".join(result.sql) if result.sql else "-- nothing to roll back"))
    else:
        click.echo(f"{len(result.rolled_back)} migration(s) rolled back")


@cli.command()
@click.option("--check", is_flag=True, help="Exit 1 if anything needs attention (pending, edited, drift).")
@json_option
@pass_ctx
def status(ctx: Context, check: bool, as_json: bool) -> None:
    """Migrations applied and pending, rules with version and mode, drift."""
    with ctx.connect() as conn:
        report = status_fn(conn)
    if as_json:
        emit_json(report)
    else:
        click.echo(f"database {report['database']} (PostgreSQL {report['server_version']})")
        click.echo("\nmigrations:")
        emit_table([{**m, "state": "applied" if m["applied"] else "PENDING"} for m in report["migrations"]],
                   ["id", "state", "checksum", "applied_at"])
        click.echo("\nrules:")
        emit_table(report["rules"], ["rule", "version", "shipped_version", "mode", "drift", "source"])
        click.echo("")
        if report["problems"]:
            for p in report["problems"]:
                click.echo(f"! {p}")
        else:
            click.echo("ok: all migrations applied, no drift")
    if check and not report["ok"]:
        sys.exit(1)


@cli.group(invoke_without_command=True)
@json_option
@click.pass_context
def rules(click_ctx: click.Context, as_json: bool) -> None:
    """List rules: name, version, mode, what it guarantees."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    with ctx.connect() as conn:
        rows = rules_fn(conn)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["rule", "version", "mode", "drift", "guarantees"])


@rules.command("set-mode")
@click.argument("rule")
@click.argument("mode", type=click.Choice(MODES))
@pass_ctx
def set_mode(ctx: Context, rule: str, mode: str) -> None:
    """Switch RULE to MODE (off, alert, correct, enforce) for every session at once."""
    with ctx.connect() as conn:
        set_mode_fn(conn, rule, mode)
    click.echo(f"{rule}: {mode}")


@rules.command()
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 3650),
              help="Look at the alerts of the last N days.")
@click.option("--rule", "rule_names", multiple=True, metavar="RULE", help="Only this rule (repeatable).")
@json_option
@pass_ctx
def readiness(ctx: Context, days: int, rule_names: tuple[str, ...], as_json: bool) -> None:
    """Per rule: what it would have repaired (correct) or refused (enforce) while in alert mode, and
    whether promoting it is safe."""
    from .readiness import readiness as readiness_fn
    with ctx.connect() as conn:
        result = readiness_fn(conn, days=days, rules=list(rule_names))
    if as_json:
        emit_json({"days": days, "rules": [r.as_dict() for r in result]})
        return
    emit_table([r.as_dict() for r in result], ["rule", "mode", "observed_hours", "would_correct", "would_refuse",
                                               "rows", "promote_to_correct", "promote_to_enforce"])
    click.echo("")
    for r in result:
        click.echo(f"{r.rule}: {r.advice}")


@rules.command()
@click.argument("rule")
@pass_ctx
def reinstall(ctx: Context, rule: str) -> None:
    """Re-install the shipped function of RULE's installed version (undo a hand edit)."""
    with ctx.connect() as conn:
        result = reinstall_fn(conn, rule)
    click.echo(f"{rule}: v{result['version']} reinstalled")


@cli.command()
@role_options
@json_option
@pass_ctx
def roles(ctx: Context, app_role: str | None, analyst_role: str | None, owner_role: str | None,
          as_json: bool) -> None:
    """Create (if missing) and grant the application, analyst and owner roles; idempotent."""
    with ctx.connect() as conn:
        result = roles_fn(conn, app=app_role, analyst=analyst_role, owner=owner_role)
    if as_json:
        emit_json(result)
        return
    for kind in ("app", "analyst", "owner"):
        if result[kind]:
            state = "created and granted" if result[kind] in result["created"] else "granted"
            click.echo(f"{kind} role {result[kind]}: {state}")


REVIEW_COLUMNS = ["id", "priority", "status", "reason", "call_id", "created_at", "resolved_by", "resolution_note"]


@cli.group(invoke_without_command=True)
@click.option("--status", "statuses", multiple=True, type=click.Choice(REVIEW_STATUSES),
              help="Only entries in this status (repeatable). Default: pending and in_progress.")
@click.option("--all", "all_", is_flag=True, help="Entries in every status.")
@click.option("--reason", help="Only entries with this reason.")
@click.option("--call-id", type=int, help="Only entries of this call.")
@click.option("--max-priority", type=click.IntRange(1, 5), help="Only priorities up to this (1 = most urgent).")
@click.option("--limit", default=100, show_default=True)
@json_option
@click.pass_context
def review(click_ctx: click.Context, statuses, all_: bool, reason, call_id, max_priority, limit: int,
           as_json: bool) -> None:
    """The manual review queue, most urgent first; resolve or dismiss entries."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    with ctx.connect() as conn:
        rows = review_fn(conn, status=None if all_ else (statuses or REVIEW_OPEN_STATUSES),
                                 reason=reason, call_id=call_id, max_priority=max_priority, limit=limit)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, REVIEW_COLUMNS)


def _review_close(action):
    @click.argument("entry_id", type=int)
    @click.option("--note", required=True, help="What was done (kept as resolution_note).")
    @click.option("--by", help="Who did it (default: the database user).")
    @json_option
    @pass_ctx
    def command(ctx: Context, entry_id: int, note: str, by: str | None, as_json: bool) -> None:
        with ctx.connect() as conn:
            row = action(conn, entry_id, note, by)
        if as_json:
            emit_json(row)
        else:
            click.echo(f"review entry {row['id']}: {row['status']} by {row['resolved_by']}")
    return command


review.command("resolve", help="Mark review entry ENTRY_ID resolved, with a note.")(
    _review_close(review_resolve_fn))
review.command("dismiss", help="Mark review entry ENTRY_ID dismissed (nothing to do), with a note.")(
    _review_close(review_dismiss_fn))


@review.command("start")
@click.argument("entry_id", type=int)
@pass_ctx
def review_start(ctx: Context, entry_id: int) -> None:
    """Mark pending review entry ENTRY_ID in_progress."""
    with ctx.connect() as conn:
        row = review_start_fn(conn, entry_id)
    click.echo(f"review entry {row['id']}: {row['status']}")


BREAKER_COLUMNS = ["key", "state", "failure_count", "success_count", "failure_threshold", "success_threshold",
                   "cooldown", "opened_at", "last_failure_at", "last_error", "times_opened"]


@cli.group(invoke_without_command=True)
@click.option("--key", help="Only this breaker.")
@json_option
@click.pass_context
def breaker(click_ctx: click.Context, key: str | None, as_json: bool) -> None:
    """Circuit breakers: state, failures, thresholds; reset or configure one."""
    if click_ctx.invoked_subcommand is None:
        _show_breakers(click_ctx.obj, key, as_json)


def _show_breakers(ctx: Context, key: str | None, as_json: bool) -> None:
    with ctx.connect() as conn:
        rows = breaker_lib.breaker_status(conn, key)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, BREAKER_COLUMNS)


@breaker.command("status")
@click.option("--key", help="Only this breaker.")
@json_option
@pass_ctx
def breaker_status(ctx: Context, key: str | None, as_json: bool) -> None:
    """The same as plain `dbguard breaker`."""
    _show_breakers(ctx, key, as_json)


@breaker.command("reset")
@click.argument("key")
@pass_ctx
def breaker_reset(ctx: Context, key: str) -> None:
    """Close the breaker KEY by hand (recorded as a 'reset' transition)."""
    with ctx.connect() as conn:
        row = breaker_lib.breaker_reset(conn, key)
    click.echo(f"breaker {row['key']}: {row['state']}")


@breaker.command("configure")
@click.argument("key")
@click.option("--failure-threshold", type=int, help="Consecutive failures that open the breaker (default 3).")
@click.option("--cooldown", help="How long it stays open before a trial, e.g. '30 seconds'.")
@click.option("--success-threshold", type=int, help="Successful trials that close it again (default 2).")
@click.option("--trial-timeout", help="When a trial that never reported back is given to the next caller.")
@pass_ctx
def breaker_configure(ctx: Context, key: str, failure_threshold, cooldown, success_threshold, trial_timeout) -> None:
    """Set the thresholds of breaker KEY (created if missing)."""
    with ctx.connect() as conn:
        row = breaker_lib.breaker_configure(conn, key, failure_threshold=failure_threshold, cooldown=cooldown,
                                            success_threshold=success_threshold, trial_timeout=trial_timeout)
    click.echo(f"breaker {row['key']}: failures {row['failure_threshold']}, cooldown {row['cooldown']}, "
               f"successes {row['success_threshold']}, trial timeout {row['trial_timeout']}")


@cli.command()
@click.argument("kind", type=click.Choice(BACKFILL_KINDS))
@click.option("--dry-run", is_flag=True, help="Do the work and roll it back: counts only, nothing changes.")
@click.option("--batch-size", default=BACKFILL_BATCH_SIZE, show_default=True,
              type=click.IntRange(1), help="Rows per transaction.")
@json_option
@pass_ctx
def backfill(ctx: Context, kind: str, dry_run: bool, batch_size: int, as_json: bool) -> None:
    """Repair legacy rows: appointments | metadata | lead-history (idempotent)."""
    with ctx.connect() as conn:
        result = backfill_fn(conn, kind, dry_run=dry_run, batch_size=batch_size)
    if as_json:
        emit_json(result.as_dict())
        return
    for problem in result.problems:
        click.echo(f"  {problem['outcome']:<8} {problem['id']}: {problem['detail']}")
    click.echo(result.summary())


@cli.group()
def embedded() -> None:
    """The embedded PostgreSQL used when no DSN is given (in ./.dbguard/)."""


@embedded.command("start")
def embedded_start() -> None:
    """Start the embedded server (it keeps running between commands)."""
    click.echo(embedded_lib.start())


@embedded.command("stop")
def embedded_stop() -> None:
    """Stop the embedded server."""
    click.echo("stopped" if embedded_lib.stop() else "not running")


@embedded.command("status")
@json_option
def embedded_status(as_json: bool) -> None:
    """Whether the embedded server runs, and its DSN."""
    info = embedded_lib.info()
    if as_json:
        emit_json(info)
    else:
        click.echo(f"{'running' if info['running'] else 'stopped'}  {info['pgdata']}  {info['dsn'] or ''}".rstrip())



# --- operations: render, check, reconcile, report, metrics, watch -------------

def catalog_options(fn):
    """--catalog-dir and --domain-schema, shared by the commands that run the rule catalog."""
    fn = click.option("--domain-schema", default="public", show_default=True, metavar="SCHEMA",
                      help="Schema of the booking tables.")(fn)
    return click.option("--catalog-dir", envvar="DBGUARD_CATALOG_DIR", metavar="DIR",
                        type=click.Path(file_okay=False),
                        help="Extra detection rules, one file each (also $DBGUARD_CATALOG_DIR).")(fn)


@cli.command()
@click.option("--docs", is_flag=True, help="Print docs/detection-rules.md (the rules table) instead of SQL.")
@click.option("--view", "view_names", multiple=True, metavar="NAME", help="Only this view (repeatable).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@catalog_options
def render(docs: bool, view_names: tuple[str, ...], output: str | None, catalog_dir: str | None,
           domain_schema: str) -> None:
    """Print the rendered SQL of the dbguard_audit views (or, with --docs, the rules table)."""
    from .catalog import docs_markdown, load_catalog
    from .views import render as render_fn
    text = docs_markdown(load_catalog(catalog_dir)) if docs else \
        render_fn(domain_schema, catalog_dir=catalog_dir, views=view_names)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--since", metavar="DURATION", help="Only rows created within this window: 30m, 1h, 7d, 2w.")
@click.option("--rule", "rule_names", multiple=True, metavar="RULE", help="Only this rule (repeatable).")
@click.option("--no-alerts", is_flag=True, help="Do not record scan alerts.")
@click.option("--limit", default=100, show_default=True, help="List at most this many offenders per rule.")
@catalog_options
@json_option
@pass_ctx
def check(ctx: Context, since: str | None, rule_names: tuple[str, ...], no_alerts: bool, limit: int,
          catalog_dir: str | None, domain_schema: str, as_json: bool) -> None:
    """Find rows that break a detection rule and record scan alerts.
    Exit code 2 when a critical violation exists, 0 otherwise."""
    from .detection import check as check_fn
    with ctx.connect() as conn:
        result = check_fn(conn, since=since, rules=list(rule_names), record=not no_alerts, limit=limit,
                          catalog_dir=catalog_dir, domain_schema=domain_schema)
    if as_json:
        emit_json(result.as_dict())
    else:
        emit_table([r.__dict__ for r in result.rules], ["rule", "severity", "entity", "count", "new_alerts"])
        if result.violations:
            click.echo("")
            emit_table([{**v, "details": json.dumps(v["details"], default=str)} for v in result.violations],
                       ["rule", "severity", "entity_type", "entity_id", "company_id", "details"])
        click.echo(f"\n{result.total} violation(s), {result.critical} critical"
                   + (f" (rows created within {since})" if since else ""))
    if result.critical:
        sys.exit(2)


@cli.command()
@click.option("--rule", "rule_names", multiple=True, metavar="RULE", help="Only this rule (repeatable).")
@click.option("--dry-run", is_flag=True, help="Count what would be repaired; change nothing.")
@click.option("--batch-size", default=1000, show_default=True, help="Rows per batch (one short transaction each).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@catalog_options
@json_option
@pass_ctx
def reconcile(ctx: Context, rule_names: tuple[str, ...], dry_run: bool, batch_size: int, progress: bool | None,
              catalog_dir: str | None, domain_schema: str, as_json: bool) -> None:
    """Repair rule offenders in keyset batches (never deletes rows); the rest goes to manual review."""
    from .detection import reconcile as reconcile_fn
    show = sys.stderr.isatty() if progress is None else progress
    bars: list = []

    def on_rule(rule, found):
        if bars:
            bars.pop().render_finish()
        if show and found and not dry_run and (rule.automatic or rule.review):
            bar = click.progressbar(length=found, label=rule.name, file=sys.stderr)
            bar.render_progress()
            bars.append(bar)

    with ctx.connect(autocommit=True) as conn:
        result = reconcile_fn(conn, rules=list(rule_names), dry_run=dry_run, batch_size=batch_size,
                              progress=lambda n: bars and bars[0].update(n), on_rule=on_rule,
                              catalog_dir=catalog_dir, domain_schema=domain_schema)
    if bars:
        bars.pop().render_finish()
    rows = [r.__dict__ for r in result]
    if as_json:
        emit_json({"dry_run": dry_run, "rules": rows})
        return
    emit_table(rows, ["rule", "severity", "automatic", "found", "fixed", "queued_for_review", "remaining",
                      "batches", "longest_batch_seconds"])
    total = sum(r.found for r in result)
    if dry_run:
        click.echo(f"\ndry run: {total} offender(s) found; "
                   f"{sum(r.found for r in result if r.automatic)} would get an automatic repair")
    else:
        click.echo(f"\n{sum(r.fixed for r in result)} of {total} fixed, "
                   f"{sum(r.queued_for_review for r in result)} queued for manual review, "
                   f"{sum(r.remaining for r in result)} remaining")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Report this UTC day (default: the last 24 hours).")
@catalog_options
@pass_ctx
def report(ctx: Context, fmt: str, day: str | None, catalog_dir: str | None, domain_schema: str) -> None:
    """Daily report: totals, breakdown by type, top issues, week-over-week trend, auto-correction rate."""
    from .reporting import format_report, report as report_fn
    with ctx.connect() as conn:
        data = report_fn(conn, day=day, catalog_dir=catalog_dir, domain_schema=domain_schema)
    click.echo(format_report(data, fmt), nl=False)


@cli.command()
@catalog_options
@pass_ctx
def metrics(ctx: Context, catalog_dir: str | None, domain_schema: str) -> None:
    """Print metrics in Prometheus text format (violations, alerts, consistency rate, breakers)."""
    from .reporting import metrics as metrics_fn
    with ctx.connect() as conn:
        click.echo(metrics_fn(conn, catalog_dir=catalog_dir, domain_schema=domain_schema), nl=False)


@cli.command()
@click.option("--count", type=int, metavar="N", help="Stop after N alerts.")
@click.option("--timeout", type=float, metavar="SECONDS", help="Stop after this many seconds.")
@json_option
@pass_ctx
def watch(ctx: Context, count: int | None, timeout: float | None, as_json: bool) -> None:
    """Print alerts live as they are raised (LISTEN dbguard_alerts)."""
    from .watch import format_alert, watch as watch_fn

    def show(alert: dict) -> None:
        click.echo(json.dumps(alert, default=str) if as_json else format_alert(alert))
        sys.stdout.flush()

    watch_fn(ctx.dsn, count=count, timeout=timeout, on_alert=show,
             on_ready=lambda: click.echo("listening on dbguard_alerts", err=True))


@cli.group(invoke_without_command=True)
@click.option("--open", "open_only", is_flag=True, help="Only alerts not resolved yet.")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="Only this alert type (repeatable).")
@click.option("--severity", type=click.Choice(["info", "warning", "critical"]), help="This severity and above.")
@click.option("--since", metavar="DURATION", help="Only alerts detected within this window: 30m, 1h, 7d.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
@json_option
@click.pass_context
def alerts(click_ctx: click.Context, open_only: bool, types: tuple[str, ...], severity: str | None,
           since: str | None, limit: int, as_json: bool) -> None:
    """List alerts (newest first); `alerts resolve` closes them by hand."""
    if click_ctx.invoked_subcommand is not None:
        return
    from .alerts import alerts as alerts_fn, printable
    from .detection import parse_duration
    window = parse_duration(since)
    with click_ctx.find_object(Context).connect() as conn:
        rows = alerts_fn(conn, open_only=open_only, types=list(types), severity=severity, since=window, limit=limit)
    if as_json:
        emit_json({"alerts": [{**r, "detected_at": r["detected_at"].isoformat(),
                               "resolved_at": r["resolved_at"] and r["resolved_at"].isoformat()} for r in rows]})
        return
    emit_table([{**r, "description": printable(r["description"])[:100], "entity": f"{r['entity_type']} {r['entity_id']}",
                 "detected_at": f"{r['detected_at']:%Y-%m-%d %H:%M:%S}",
                 "state": "open" if r["resolved_at"] is None else f"resolved by {printable(r['resolved_by'])}"}
                for r in rows], ["id", "severity", "alert_type", "entity", "detected_at", "state", "description"])


@alerts.command("resolve")
@click.argument("alert_id", type=int, required=False)
@click.option("--type", "alert_type", metavar="TYPE", help="Every open alert of this type instead of one id.")
@click.option("--note", required=True, help="What was done (kept in details.resolution_note).")
@click.option("--by", help="Who did it (default: the database user).")
@pass_ctx
def alerts_resolve(ctx: Context, alert_id: int | None, alert_type: str | None, note: str, by: str | None) -> None:
    """Resolve alert ALERT_ID, or every open alert of --type, with a note."""
    from .alerts import alerts_resolve as resolve_fn
    with ctx.connect() as conn:
        ids = resolve_fn(conn, alert_id=alert_id, alert_type=alert_type, note=note, by=by)
    click.echo(f"{len(ids)} alert(s) resolved" + (f": {', '.join(map(str, ids[:20]))}" if ids else ""))


@cli.command()
@click.option("--database", default="dbguard_demo", show_default=True,
              help="Demo database to (re)create on the server; your own databases are never touched.")
@json_option
@pass_ctx
def demo(ctx: Context, database: str, as_json: bool) -> None:
    """Sample data with known inconsistencies -> check -> backfill -> reconcile -> check -> report."""
    from .demo import demo as demo_fn

    result = demo_fn(ctx.dsn, database=database, echo=(lambda _m: None) if as_json else click.echo)
    if as_json:
        emit_json(result)


def main(argv: list[str] | None = None) -> int:
    try:
        rv = cli.main(args=argv, prog_name="dbguard", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 1
    except DbguardError as exc:
        click.echo(f"dbguard: error: {exc}", err=True)
        return 1
    except psycopg.Error as exc:
        message = " ".join(str(exc).split())
        click.echo(f"dbguard: database error: {message}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
