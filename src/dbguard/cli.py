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
              help="Give up a migration that waits longer than this for a table lock.")
@json_option
@role_options
@pass_ctx
def migrate(ctx: Context, dry_run: bool, lock_timeout: str, as_json: bool, app_role: str | None,
            analyst_role: str | None, owner_role: str | None) -> None:
    """Apply pending migrations (one migrator at a time; a second one waits).

    With --app-role / --analyst-role / --owner-role, then create or grant those roles (as dbguard roles)."""
    result = migrator.migrate(ctx.dsn, dry_run=dry_run, lock_timeout=lock_timeout)
    granted = None
    if not dry_run and (app_role or analyst_role or owner_role):
        with ctx.connect() as conn:
            granted = roles_fn(conn, app=app_role, analyst=analyst_role, owner=owner_role)
        names = ", ".join(f"{k} {granted[k]}" for k in ("app", "analyst", "owner") if granted[k])
        click.echo(f"dbguard: roles granted: {names}", err=True)
    if as_json:
        emit_json({"dry_run": dry_run, "applied": result.applied, "sql": result.sql, "roles": granted})
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
