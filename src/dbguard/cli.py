"""The ``dbguard`` command line: each command is a thin wrapper over the library
function of the same name; errors become one line on stderr, never a traceback.

Exit codes, the same for every command (docs/cli.md): 0 clean, 1 violations or
alerts found at or above the chosen severity (``check``, ``status --check``,
``watch``), 2 usage, connection or internal error."""

from __future__ import annotations

import os
import re
import sys
from datetime import date, timedelta
from functools import cached_property

import click
import psycopg

from . import embedded as embedded_lib
from . import migrator
from .catalog import SEVERITIES
from .connection import EMBEDDED, connect, require_installed, resolve
from .errors import DbguardError
from .jsonout import to_json
from .tables import format_table
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


EXIT_CLEAN, EXIT_FOUND, EXIT_ERROR = 0, 1, 2


class Context:
    def __init__(self, dsn: str | None):
        self._given = dsn

    @cached_property
    def dsn(self) -> str:
        resolved = resolve(self._given, start_embedded=False)
        if resolved.source != EMBEDDED:
            return resolved.dsn
        click.echo("dbguard: no database given (--dsn, DBGUARD_DSN, DATABASE_URL, PG* variables); "
                   f"using the embedded PostgreSQL at {embedded_lib.home()}", err=True)
        return embedded_lib.start()

    def connect(self, *, installed: bool = True, **kwargs) -> psycopg.Connection:
        """A connection; with ``installed`` (every command but migrate/rollback/status),
        a clear "run dbguard migrate" error when dbguard's schema is missing."""
        conn = connect(self.dsn, **kwargs)
        if installed:
            try:
                require_installed(conn)
            except BaseException:
                conn.close()
                raise
        return conn


pass_ctx = click.make_pass_decorator(Context)

# C0 and C1 control characters, DEL, and the Unicode bidirectional overrides
# ("Trojan Source"): text from the database that would move the cursor, retitle
# or rewrite the operator's terminal (ANSI CSI / OSC sequences) or reorder what
# they read. Newline and tab are kept only where the caller asks (multi-line text).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text, *, multiline: bool = False, prometheus: bool = False) -> str:
    """``text`` with control characters and escape sequences shown as ``\\x1b`` etc.,
    for printing text that came from the database to a terminal. ``multiline``
    keeps newlines and tabs (reports); otherwise everything fits one line.
    ``prometheus``: metrics text, whose label values only allow the escapes \\\\, \\"
    and \\n -- the backslash is doubled so that the label reads ``\\x1b``."""
    if prometheus:
        return _UNSAFE_KEEP_LINES.sub(lambda m: "\\" + _escape_char(m), str(text))
    return (_UNSAFE_KEEP_LINES if multiline else _UNSAFE).sub(_escape_char, str(text))


def emit_json(data) -> None:
    click.echo(to_json(data))


def emit_table(rows: list[dict], columns: list[str]) -> None:
    """``columns`` of ``rows`` as an aligned table, every cell escaped for the terminal (``safe``)."""
    click.echo(format_table(columns, [[None if r.get(c) is None else safe(r.get(c)) for c in columns] for r in rows]))


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")

# Bounds checked before anything reaches the database, so that an extreme value is
# a usage error (exit 2) naming the option rather than a raw SQL error.
BIGINT = click.IntRange(-2 ** 63, 2 ** 63 - 1)
POSITIVE_INT = click.IntRange(1, 2 ** 31 - 1)


class LockTimeout(click.ParamType):
    """A PostgreSQL lock_timeout: a number with an optional unit (10s, 500ms, 1min)."""

    name = "DURATION"
    _FORMAT = re.compile(r"^\d+(\.\d+)?\s*(us|ms|s|min|h|d)?$")

    def convert(self, value, param, ctx):
        if not self._FORMAT.match(str(value).strip()):
            self.fail(f"{value!r} is not a lock timeout: use a number and a unit ms, s, min, h or d, e.g. 10s",
                      param, ctx)
        return str(value).strip()


def role_options(f):
    """--app-role, --analyst-role, --owner-role (see docs/operations.md, "Roles and grants")."""
    f = click.option("--owner-role", metavar="NAME", help="Role to own dbguard's objects and the domain tables.")(f)
    f = click.option("--analyst-role", metavar="NAME", help="Role that reads the dbguard_audit views only.")(f)
    return click.option("--app-role", metavar="NAME", help="Role the applications write the domain tables as.")(f)


DSN_HELP = ("PostgreSQL connection string. Default: $DBGUARD_DSN, else $DATABASE_URL, else libpq's PG* "
            "variables / service file, else the embedded server in ./.dbguard/.")
# Commands that never connect: no --dsn of their own.
NO_DATABASE = {"render", "embedded"}


def _subcommand_dsn(ctx: click.Context, _param, value: str | None) -> None:
    if value is not None:
        ctx.find_object(Context)._given = value


class Group(click.Group):
    """Every command (and nested command) also accepts --dsn after its name, as
    `dbguard status --dsn X`; the last --dsn given wins."""

    group_class = type  # nested groups (rules, review, breaker) are Groups too

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if (name or cmd.name) not in NO_DATABASE and self.name not in NO_DATABASE \
                and not any(p.name == "dsn" for p in cmd.params):
            cmd.params.append(click.Option(["--dsn"], metavar="DSN", expose_value=False, is_eager=True,
                                           callback=_subcommand_dsn,
                                           help="PostgreSQL connection string, as `dbguard --dsn` (see dbguard -h)."))
        super().add_command(cmd, name)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--dsn", metavar="DSN", help=DSN_HELP + " Also accepted after the command.")
@click.version_option(package_name="dbguard")
@click.pass_context
def cli(ctx: click.Context, dsn: str | None) -> None:
    """dbguard: consistency rules for appointment-booking databases, enforced by PostgreSQL.

    Exit codes: 0 clean, 1 violations found at or above the chosen severity
    (check, status --check, watch), 2 usage, connection or internal error."""
    ctx.obj = Context(dsn)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the SQL of the pending migrations; change nothing.")
@click.option("--lock-timeout", default=migrator.DEFAULT_LOCK_TIMEOUT, show_default=True, type=LockTimeout(),
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
                   "new_rule_modes": result.new_rule_modes, "preflight": result.blockers,
                   "reinstalled": result.reinstalled, "validated": result.validated,
                   "not_valid": result.not_valid})
    elif dry_run:
        click.echo("".join(f"-- PREFLIGHT: {b}\n" for b in result.blockers)
                   + ("\n\n".join(result.sql) if result.sql else "-- nothing to apply"))
    else:
        if result.applied or result.reinstalled:
            click.echo(f"{len(result.applied)} migration(s) applied, {len(result.reinstalled)} function(s), "
                       "rule(s) and bookkeeping object(s) installed")
        else:
            click.echo("already up to date: no migration pending, no function or rule changed")


@cli.command()
@click.option("--count", default=1, show_default=True, type=POSITIVE_INT, metavar="N",
              help="How many migrations to roll back.")
@click.option("--all", "all_", is_flag=True, help="Roll back every dbguard migration.")
@click.option("--dry-run", is_flag=True, help="Print the rollback SQL; change nothing.")
@click.option("--lock-timeout", default=migrator.DEFAULT_LOCK_TIMEOUT, show_default=True, type=LockTimeout())
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
    with ctx.connect(installed=False) as conn:
        report = status_fn(conn)
    if as_json:
        emit_json(report)
    else:
        click.echo(safe(f"database {report['database']} (PostgreSQL {report['server_version']})"))
        click.echo("\nmigrations:")
        emit_table([{**m, "state": "applied" if m["applied"] else "PENDING"} for m in report["migrations"]],
                   ["id", "state", "checksum", "applied_at"])
        click.echo("\nrules:")
        emit_table(report["rules"], ["rule", "version", "shipped_version", "mode", "drift", "source"])
        if report["objects"]:
            click.echo("\nfunctions and bookkeeping objects not as shipped:")
            emit_table(report["objects"], ["kind", "name", "drift"])
        click.echo("")
        if report["problems"]:
            for p in report["problems"]:
                click.echo(safe(f"! {p}"))
        else:
            click.echo("ok: all migrations applied, no drift")
    if check and not report["ok"]:
        raise click.exceptions.Exit(EXIT_FOUND)


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
@click.option("--call-id", type=BIGINT, metavar="ID", help="Only entries of this call.")
@click.option("--max-priority", type=click.IntRange(1, 5), help="Only priorities up to this (1 = most urgent).")
@click.option("--limit", default=100, show_default=True, type=POSITIVE_INT, metavar="N")
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
    @click.argument("entry_id", type=BIGINT)
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
            click.echo(safe(f"review entry {row['id']}: {row['status']} by {row['resolved_by']}"))
    return command


review.command("resolve", help="Mark review entry ENTRY_ID resolved, with a note.")(
    _review_close(review_resolve_fn))
review.command("dismiss", help="Mark review entry ENTRY_ID dismissed (nothing to do), with a note.")(
    _review_close(review_dismiss_fn))


@review.command("start")
@click.argument("entry_id", type=BIGINT)
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
    click.echo(safe(f"breaker {row['key']}: {row['state']}"))


@breaker.command("configure")
@click.argument("key")
@click.option("--failure-threshold", type=POSITIVE_INT, metavar="N", help="Consecutive failures that open the breaker (default 3).")
@click.option("--cooldown", help="How long it stays open before a trial, e.g. '30 seconds'.")
@click.option("--success-threshold", type=POSITIVE_INT, metavar="N", help="Successful trials that close it again (default 2).")
@click.option("--trial-timeout", help="When a trial that never reported back is given to the next caller.")
@pass_ctx
def breaker_configure(ctx: Context, key: str, failure_threshold, cooldown, success_threshold, trial_timeout) -> None:
    """Set the thresholds of breaker KEY (created if missing)."""
    with ctx.connect() as conn:
        row = breaker_lib.breaker_configure(conn, key, failure_threshold=failure_threshold, cooldown=cooldown,
                                            success_threshold=success_threshold, trial_timeout=trial_timeout)
    click.echo(safe(f"breaker {row['key']}: failures {row['failure_threshold']}, cooldown {row['cooldown']}, "
                    f"successes {row['success_threshold']}, trial timeout {row['trial_timeout']}"))


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
        click.echo(safe(f"  {problem['outcome']:<8} {problem['id']}: {problem['detail']}"))
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

class Duration(click.ParamType):
    """--since: a window such as 30m, 1h, 7d, 2w (or 'all'), up to 100 years."""

    name = "duration"
    MAX = timedelta(days=36500)

    def convert(self, value, param, ctx):
        from .detection import parse_duration
        try:
            window = parse_duration(value)
        except DbguardError as exc:
            self.fail(str(exc), param, ctx)
        except OverflowError:
            window = timedelta.max
        if window is not None and window > self.MAX:
            self.fail(f"{value!r} is longer than 100 years (36500d); leave --since out to check every row",
                      param, ctx)
        return value


class Day(click.ParamType):
    """--date: one UTC day, YYYY-MM-DD."""

    name = "YYYY-MM-DD"
    FIRST, LAST = date(1900, 1, 1), date(9999, 12, 30)

    def convert(self, value, param, ctx):
        try:
            day = value if isinstance(value, date) else date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or not self.FIRST <= day <= self.LAST:
            raise click.UsageError(f"invalid --date {value!r}: use YYYY-MM-DD, a UTC day from "
                                   f"{self.FIRST} to {self.LAST}", ctx)
        return day


def fail_on_option(default: str, what: str):
    return click.option("--fail-on", type=click.Choice(SEVERITIES), default=default, show_default=True,
                        help=f"Exit 1 when {what} of this severity or higher; 2 stays for errors.")


def at_or_above(severity, threshold: str) -> bool:
    """Whether ``severity`` is at or above ``threshold``; an unknown severity counts (fail safe)."""
    rank = SEVERITIES.index
    return severity not in SEVERITIES or rank(severity) >= rank(threshold)


def catalog_options(fn):
    """--catalog-dir and --domain-schema, shared by the commands that run the rule catalog."""
    fn = click.option("--domain-schema", default="public", show_default=True, metavar="SCHEMA",
                      help="Schema of the booking tables.")(fn)
    return click.option("--catalog-dir", envvar="DBGUARD_CATALOG_DIR", metavar="DIR",
                        type=click.Path(file_okay=False),
                        help="Extra detection rules, one file each (also $DBGUARD_CATALOG_DIR).")(fn)


@cli.command()
@click.option("--rules", "compiled_rules", is_flag=True,
              help="Print the compiled trigger functions and triggers of the rules for this database's modes, "
                   "as dbguard installs them (connects, as --dsn says).")
@click.option("--docs", is_flag=True, help="Print docs/detection-rules.md (the rules table) instead of SQL.")
@click.option("--analyst-docs", is_flag=True,
              help="Print the view reference of docs/analysts.md (from sql/comments.toml) instead of SQL.")
@click.option("--rule-docs", metavar="DIR", type=click.Path(file_okay=False),
              help="Write one page per rule into DIR (docs/rules), from each rule's header, keeping its Notes.")
@click.option("--view", "view_names", multiple=True, metavar="NAME", help="Only this view (repeatable).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@catalog_options
@click.pass_context
def render(click_ctx: click.Context, compiled_rules: bool, docs: bool, analyst_docs: bool, rule_docs: str | None,
           view_names: tuple[str, ...], output: str | None, catalog_dir: str | None, domain_schema: str) -> None:
    """Print the rendered SQL of the dbguard_audit views (or, with --docs, the rules table; with --rules,
    the compiled rules)."""
    from .catalog import docs_markdown, load_catalog
    from .views import analyst_docs_markdown, render as render_fn
    if rule_docs:
        from .rule_docs import write
        for page in write(rule_docs):
            click.echo(page)
        return
    if compiled_rules:
        from .compiler import render_rules
        with click_ctx.find_object(Context).connect() as conn:
            text = render_rules(conn)
    else:
        text = docs_markdown(load_catalog(catalog_dir)) if docs else analyst_docs_markdown() if analyst_docs else \
            render_fn(domain_schema, catalog_dir=catalog_dir, views=view_names)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--since", metavar="DURATION", type=Duration(),
              help="Only rows created within this window: 30m, 1h, 7d, 2w.")
@click.option("--rule", "rule_names", multiple=True, metavar="RULE", help="Only this rule (repeatable).")
@click.option("--no-alerts", is_flag=True, help="Do not record scan alerts.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(0, 2**31 - 1), metavar="N",
              help="List at most this many offenders per rule.")
@fail_on_option("warning", "a rule finds violations")
@catalog_options
@json_option
@pass_ctx
def check(ctx: Context, since: str | None, rule_names: tuple[str, ...], no_alerts: bool, limit: int,
          fail_on: str, catalog_dir: str | None, domain_schema: str, as_json: bool) -> None:
    """Find rows that break a detection rule and record scan alerts.

    Exit 1 when a rule of severity --fail-on or higher finds a violation, 0 otherwise."""
    from .detection import check as check_fn
    with ctx.connect() as conn:
        result = check_fn(conn, since=since, rules=list(rule_names), record=not no_alerts, limit=limit,
                          catalog_dir=catalog_dir, domain_schema=domain_schema)
    if as_json:
        emit_json(result.as_dict())
    else:
        emit_table([r.as_dict() for r in result.rules], ["rule", "severity", "entity", "count", "new_alerts"])
        if result.violations:
            click.echo("")
            emit_table([{**v, "details": to_json(v["details"], indent=None)} for v in result.violations],
                       ["rule", "severity", "entity_type", "entity_id", "company_id", "details"])
        click.echo(f"\n{result.total} violation(s), {result.critical} critical"
                   + (f" (rows created within {since})" if since else ""))
    if any(r.count and at_or_above(r.severity, fail_on) for r in result.rules):
        raise click.exceptions.Exit(EXIT_FOUND)


@cli.command()
@click.option("--rule", "rule_names", multiple=True, metavar="RULE", help="Only this rule (repeatable).")
@click.option("--dry-run", is_flag=True, help="Count what would be repaired; change nothing.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 2**31 - 1), metavar="N",
              help="Rows per batch (one short transaction each).")
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
    rows = [r.as_dict() for r in result]
    if as_json:
        emit_json({"dry_run": dry_run, "rules": rows})
        return
    emit_table(rows, ["rule", "severity", "automatic", "found", "fixed", "queued_for_review", "fixed_and_queued",
                      "remaining", "batches", "longest_batch_seconds"])
    total = sum(r.found for r in result)
    if dry_run:
        click.echo(f"\ndry run: {total} offender(s) found; "
                   f"{sum(r.found for r in result if r.automatic)} would get an automatic repair")
    else:
        both = sum(r.fixed_and_queued for r in result)
        click.echo(f"\n{sum(r.fixed for r in result)} of {total} repaired ({both} of them also queued for a "
                   f"person to confirm), {sum(r.remaining for r in result)} remaining "
                   f"({sum(r.queued_for_review for r in result) - both} of them queued for a person to decide)")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "html"]), default="text",
              show_default=True, help="html: one self-contained page with charts (opens offline).")
@click.option("--date", "day", type=Day(), help="Report this UTC day (default: the last 24 hours).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write to FILE (replaced atomically) instead of stdout.")
@catalog_options
@pass_ctx
def report(ctx: Context, fmt: str, day: str | None, output: str | None, catalog_dir: str | None,
           domain_schema: str) -> None:
    """Daily report: the period (alerts detected and resolved, week-over-week trend, auto-correction
    rate, outcome/flag agreement) and what is open now (violations, rows without one, alerts, review
    queue); with --format html also 4-week charts, top offenders, review queue age."""
    from .reporting import format_report, report as report_fn, write_atomically
    with ctx.connect() as conn:
        data = report_fn(conn, day=day, catalog_dir=catalog_dir, domain_schema=domain_schema)
    text = format_report(data, fmt)
    if output:
        write_atomically(output, text)
    else:
        # JSON and HTML escape control characters themselves (and must stay parseable).
        click.echo(text if fmt in ("json", "html") else safe(text, multiline=True), nl=False)


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write to FILE atomically (temp file + rename), e.g. for node_exporter's textfile collector.")
@click.option("--serve", metavar="[HOST]:PORT", help="Serve /metrics over HTTP until stopped (:PORT = every interface).")
@catalog_options
@pass_ctx
def metrics(ctx: Context, output: str | None, serve: str | None, catalog_dir: str | None, domain_schema: str) -> None:
    """Prometheus metrics: violations, rows without a violation, alerts, outcome/flag agreement, review
    queue, breakers, dbguard_up, last successful check time, check duration. Stdout, a file (-o) or
    HTTP (--serve)."""
    from . import reporting
    if output and serve:
        raise click.UsageError("use either --output or --serve")
    options = {"catalog_dir": catalog_dir, "domain_schema": domain_schema}
    if serve:
        import signal
        import threading
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            reporting.serve_metrics(
                ctx.connect, serve, stop=stop, **options,
                on_ready=lambda host, port: click.echo(f"serving metrics on http://{host}:{port}/metrics", err=True),
                on_error=lambda exc: click.echo(f"dbguard: metrics: {' '.join(str(exc).split())}", err=True))
        except KeyboardInterrupt:
            pass
    else:
        text, error = reporting.collect_metrics(ctx.connect, path=output, **options)
        if not output:
            click.echo(safe(text, prometheus=True), nl=False)
        if error is not None:
            raise error


@cli.command()
@click.option("--count", type=click.IntRange(0), metavar="N", help="Stop after N alerts.")
@click.option("--timeout", type=click.FloatRange(0, 10 ** 9), metavar="SECONDS", help="Stop after this many seconds.")
@fail_on_option("warning", "it printed an alert")
@json_option
@pass_ctx
def watch(ctx: Context, count: int | None, timeout: float | None, fail_on: str, as_json: bool) -> None:
    """Print alerts live as they are raised (LISTEN dbguard_alerts).

    Runs until --count alerts, --timeout or Ctrl-C; then exits 1 if it printed an
    alert of severity --fail-on or higher, else 0."""
    from .watch import format_alert, watch as watch_fn

    failing = []

    def show(alert: dict) -> None:
        click.echo(to_json(alert, indent=None) if as_json else safe(format_alert(alert)))
        sys.stdout.flush()
        if at_or_above(alert.get("severity"), fail_on):
            failing.append(alert)

    with ctx.connect():
        pass  # a database without dbguard never raises an alert: say so instead of listening
    try:
        watch_fn(ctx.dsn, count=count, timeout=timeout, on_alert=show,
                 on_ready=lambda: click.echo("listening on dbguard_alerts", err=True))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how an open-ended watch ends
    if failing:
        raise click.exceptions.Exit(EXIT_FOUND)


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
    from .alerts import alerts as alerts_fn
    from .detection import parse_duration
    window = parse_duration(since)
    with click_ctx.find_object(Context).connect() as conn:
        rows = alerts_fn(conn, open_only=open_only, types=list(types), severity=severity, since=window, limit=limit)
    if as_json:
        emit_json({"alerts": rows})
        return
    # emit_table escapes every cell for the terminal (safe).
    emit_table([{**r, "description": (r["description"] or "")[:100], "entity": f"{r['entity_type']} {r['entity_id']}",
                 "detected_at": f"{r['detected_at']:%Y-%m-%d %H:%M:%S}",
                 "state": "open" if r["resolved_at"] is None else f"resolved by {r['resolved_by']}"}
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

    result = demo_fn(ctx.dsn, database=database,
                     echo=(lambda _m: None) if as_json else (lambda m: click.echo(safe(m, multiline=True))))
    if as_json:
        emit_json(result)


@cli.command()
@click.option("--check", "check_every", default="15m", show_default=True, metavar="PERIOD",
              help="How often to check: minutes dividing 60 (15m) or hours dividing 24 (1h).")
@click.option("--reconcile", "reconcile_every", default="1h", show_default=True, metavar="PERIOD",
              help="How often to reconcile (at half past).")
@click.option("--report-at", default="06:00", show_default=True, metavar="HH:MM", help="Daily report time, UTC.")
@click.option("--metrics", "metrics_every", default="5m", show_default=True, metavar="PERIOD|off",
              help="How often to write the metrics file; 'off' when you use metrics --serve.")
@click.option("--report-file", default="/var/lib/dbguard/report.html", show_default=True)
@click.option("--metrics-file", default="/var/lib/prometheus/node-exporter/dbguard.prom", show_default=True)
@click.option("--print", "print_as", type=click.Choice(["cron", "systemd", "all"]), default="all", show_default=True,
              help="Which host scheduler lines to print.")
@click.option("--pg-cron/--no-pg-cron", default=True, show_default=True,
              help="Install the check as a pg_cron job when the extension is there (connects to the database).")
@click.option("--database", metavar="NAME", help="With pg_cron: the database the job runs in, when pg_cron lives "
                                                 "in another one (default: the one connected to).")
@click.option("--remove", is_flag=True, help="Remove the pg_cron job instead.")
@catalog_options
@pass_ctx
def schedule(ctx: Context, check_every: str, reconcile_every: str, report_at: str, metrics_every: str,
             report_file: str, metrics_file: str, print_as: str, pg_cron: bool, database: str | None, remove: bool,
             catalog_dir: str | None, domain_schema: str) -> None:
    """Run check, reconcile, the daily report and the metrics regularly: pg_cron jobs where the
    extension is installed, else crontab lines and systemd timers (docs/scheduling.md)."""
    from . import schedule as sched
    if remove:
        with ctx.connect() as conn:
            removed = sched.remove_pg_cron(conn, database=database)
            name = sched.pg_cron_job_name(database or conn.info.dbname)
        click.echo(f"pg_cron job {name} " + ("removed" if removed else "not found"), err=True)
        return
    job_list = sched.jobs(check=check_every, reconcile=reconcile_every, report_at=report_at,
                          metrics=None if metrics_every == "off" else metrics_every,
                          report_file=report_file, metrics_file=metrics_file)
    if pg_cron:
        with ctx.connect() as conn:
            why_not = sched.pg_cron_status(conn)
            if why_not is None:
                job_id = sched.install_pg_cron(conn, job_list[0].every, database=database, catalog_dir=catalog_dir)
                name = sched.pg_cron_job_name(database or conn.info.dbname)
                click.echo(f"pg_cron job {name} (id {job_id}) checks every {check_every}; "
                           "reconcile, report and metrics need the host scheduler:", err=True)
                job_list = job_list[1:]
            else:
                click.echo(f"pg_cron: {why_not}; printing host scheduler lines for every job", err=True)
    executable = sched.default_executable()
    if print_as in ("cron", "all"):
        click.echo(sched.crontab(job_list, executable))
    if print_as in ("systemd", "all"):
        click.echo(sched.systemd_units(job_list, executable), nl=False)


DEBUG_ENV = "DBGUARD_DEBUG"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code: 0 clean, 1 found (``click.exceptions.Exit(EXIT_FOUND)``
    in a command), 2 for every error -- usage (click's and dbguard's own), connection,
    database or internal. Never a traceback, unless $DBGUARD_DEBUG is set."""
    try:
        rv = cli.main(args=argv, prog_name="dbguard", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        # UsageError/BadParameter are 2 already; plain ClickException and FileError are 1 in click.
        exc.show()
        return EXIT_ERROR
    except click.Abort:
        click.echo("dbguard: aborted", err=True)
        return EXIT_ERROR
    except DbguardError as exc:
        click.echo(safe(f"dbguard: error: {exc}"), err=True)
        return EXIT_ERROR
    except psycopg.Error as exc:
        click.echo(safe(f"dbguard: database error: {' '.join(str(exc).split())}"), err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("dbguard: interrupted", err=True)
        return 130
    except OSError as exc:  # a file or directory the user named (render -o, --catalog-dir)
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(safe(f"dbguard: error: {exc.strerror or exc}{where}"), err=True)
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        click.echo(safe(f"dbguard: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} -- "
                        f"this is a bug in dbguard, please report it with the command you ran "
                        f"({DEBUG_ENV}=1 shows the traceback)"), err=True)
        return EXIT_ERROR
    return rv if isinstance(rv, int) else EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
