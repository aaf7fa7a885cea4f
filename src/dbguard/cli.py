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
              help="Give up a migration that waits longer than this for a table lock.")
@json_option
@pass_ctx
def migrate(ctx: Context, dry_run: bool, lock_timeout: str, as_json: bool) -> None:
    """Apply pending migrations (one migrator at a time; a second one waits)."""
    result = migrator.migrate(ctx.dsn, dry_run=dry_run, lock_timeout=lock_timeout)
    if as_json:
        emit_json({"dry_run": dry_run, "applied": result.applied, "sql": result.sql})
    elif dry_run:
        click.echo("\n\n".join(result.sql) if result.sql else "-- nothing to apply")
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
        emit_json({"dry_run": dry_run, "rolled_back": result.rolled_back, "sql": result.sql})
    elif dry_run:
        click.echo("\n\n".join(result.sql) if result.sql else "-- nothing to roll back")
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
@click.argument("rule")
@pass_ctx
def reinstall(ctx: Context, rule: str) -> None:
    """Re-install the shipped function of RULE's installed version (undo a hand edit)."""
    with ctx.connect() as conn:
        result = reinstall_fn(conn, rule)
    click.echo(f"{rule}: v{result['version']} reinstalled")


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
