"""docs/cli.md, generated from the click commands: ``python -m dbguard.cli_docs > docs/cli.md``.

The help of every command is what ``dbguard COMMAND -h`` prints, at a fixed
width so that the file does not depend on the terminal it was generated in;
tests/test_cli_docs.py checks that the committed file equals this output.
"""

from __future__ import annotations

import sys

import click

from .cli import cli
from .connection import LIBPQ_ENV_VARS

WIDTH = 100

INTRO = """\
# dbguard command line

<!-- generated from src/dbguard/cli.py by `python -m dbguard.cli_docs > docs/cli.md`; do not edit by hand -->

Every command is a thin wrapper over the library function of the same name. `-h` / `--help`
works on every command and sub-command; `python -m dbguard` is the same as `dbguard`.

## Exit codes

The same for every command, so that cron jobs and CI steps can trust them:

| code | meaning |
|---|---|
| 0 | clean: the command did what it was asked and found nothing at or above `--fail-on` |
| 1 | found: `check` found a violation of a rule of severity `--fail-on` or higher (default `warning`); `status --check` found something that needs attention (pending or edited migration, drift, outdated rule); `watch` printed an alert of severity `--fail-on` or higher |
| 2 | error: usage (a mistyped option, click's or dbguard's own: `--since 1 fortnight`, an unknown `--rule`, a `--date` that is not a day), connection, database, or dbguard not installed in the database; also an internal error (a bug: one line saying so, never a traceback -- `DBGUARD_DEBUG=1` shows it) |
| 130 | interrupted with Ctrl-C (the shell's convention); `watch` is the exception: Ctrl-C is how it normally ends, and it exits 0 or 1 as above |

The other commands have no threshold: they exit 0 when they did their work, whatever they found
(`reconcile` reports what it fixed and what is left; run `check` afterwards to gate on it), and 2
when they could not.

Why `--fail-on warning` by default: every shipped `warning` rule is a real inconsistency in the
data (a call without direction, an orphaned appointment, a rollup that drifted), so a plain
`dbguard check` in CI fails on it; `--fail-on critical` gates on the critical rules only (a
booking without appointment, staff of another tenant), `--fail-on info` on every rule. An alert
whose severity dbguard does not know counts as at or above any threshold.

## Which database

1. `--dsn DSN`, before or after the command (`dbguard --dsn X status` = `dbguard status --dsn X`);
2. else `$DBGUARD_DSN`;
3. else `$DATABASE_URL`;
4. else libpq's own environment, as `psql` uses it, when any of {libpq_vars} is set: dbguard connects
   with an empty connection string and libpq reads the variables, the service file
   (`PGSERVICE` in `PGSERVICEFILE` or `~/.pg_service.conf`) and the password file itself;
5. else the embedded PostgreSQL under `./.dbguard/` (`$DBGUARD_HOME`), started on first use and left
   running; dbguard says so on stderr (`dbguard: no database given (...); using the embedded
   PostgreSQL at ...`), so a DBA never migrates a throw-away database believing it is production.

Every command but `migrate`, `rollback`, `status`, `render`, `demo` and `embedded` first checks
that dbguard is installed in the database and otherwise stops with `dbguard is not installed in
this database; run dbguard migrate first` (exit 2); `watch` does not start listening on such a database.
`status` works on any database (everything pending; `status --check` exits 1).

## Output

Text that comes from the database (review reasons, alert descriptions, breaker errors, notes,
report and metrics labels) is printed with control characters, ANSI/OSC escape sequences and
Unicode bidirectional overrides shown as `\\x1b`, `\\u202e`, ... so that a value written by an
application cannot retitle, rewrite or reorder the operator's terminal. `--json` output escapes
them as JSON does (`\\u001b`).

## Catalog directory

`--catalog-dir DIR` / `$DBGUARD_CATALOG_DIR` is **trusted configuration**: its detection queries
(and repairs, in `reconcile`) run with the privileges of whoever runs the command -- often the
database owner -- so only the DBA may write to that directory. The `.sql.j2` templates render in
jinja2's sandbox with undefined variables as errors: a template can use `domain_schema` and `rule`
and nothing else; one that reaches for Python objects (`{{{{ self.__init__.__globals__ }}}}`) stops the
command with `refused by the template sandbox` (exit 2), even in `dbguard render`.

## Commands
"""


def _walk(command: click.Command, ctx: click.Context):
    yield command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            yield from _walk(sub, click.Context(sub, info_name=name, parent=ctx, terminal_width=WIDTH,
                                                max_content_width=WIDTH))


def generate() -> str:
    root = click.Context(cli, info_name="dbguard", terminal_width=WIDTH, max_content_width=WIDTH,
                         help_option_names=["-h", "--help"])
    parts = [INTRO.format(libpq_vars=", ".join(f"`{v}`" for v in LIBPQ_ENV_VARS))]
    for command, ctx in _walk(cli, root):
        parts.append(f"\n### `{ctx.command_path}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "".join(parts)


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(generate())
