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
