"""The rule catalog: every detection rule described once, in one file.

A rule is one jinja2 file ``<rule>.sql.j2`` (shipped ones in ``sql/catalog/``;
a user's own in the directory given by ``--catalog-dir`` or
``DBGUARD_CATALOG_DIR``)::

    -- rule: my_rule                 identifier, unique
    -- severity: warning             info | warning | critical
    -- entity: appointments          the table the offending rows are in
    -- description: what is wrong
    -- fix: what reconcile does ("manual review" when nothing automatic)
    -- review: my_rule               optional: queue offenders left after repair
    -- @detect
    SELECT a.id AS entity_id, a.company_id, a.call_id, a.created_at, '{}'::jsonb AS details
      FROM {{ domain_schema }}.appointments a WHERE ...
    -- @repair                       optional: one or more statements; %(ids)s is
    UPDATE ... WHERE id = ANY(%(ids)s)   the bigint[] of offender ids of one batch

The detect query returns exactly ``entity_id bigint, company_id bigint,
call_id bigint, created_at timestamptz, details jsonb``; ``created_at`` should
be an indexed column of the entity, it is what ``--since`` filters on.
Everything else -- the consistency_violations view, check, reconcile, report,
metrics, docs/detection-rules.md -- is generated from these files.

The catalog directory is trusted configuration: its queries run with the
privileges of whoever runs ``check`` / ``reconcile`` (often the owner), so only
the DBA may write to it. The templates themselves render in jinja2's sandbox
(no attribute escapes to Python objects, only ``domain_schema`` and ``rule``
defined), so rendering one -- even in ``dbguard render`` -- runs no Python.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.sandbox
from psycopg import sql

from .errors import DbguardError
from .resources import sql_dir

SEVERITIES = ("info", "warning", "critical")
ENV_VAR = "DBGUARD_CATALOG_DIR"
DETECT_COLUMNS = ("entity_id", "company_id", "call_id", "created_at", "details")
_HEADER = re.compile(r"^--\s*(rule|severity|entity|description|fix|review):\s*(.+?)\s*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SECTION = re.compile(r"^--\s*@(detect|repair)\s*$", re.MULTILINE)


class CatalogError(DbguardError):
    """A catalog file that cannot be used."""


def builtin_dir() -> Path:
    return sql_dir() / "catalog"


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    entity: str
    description: str
    fix: str
    review: str | None
    path: Path
    builtin: bool

    def _render(self, domain_schema: str) -> dict[str, str]:
        env = _environment(self.path.parent)
        try:
            text = env.get_template(self.path.name).render(
                domain_schema=quote_schema(domain_schema), rule=self.name)
        except jinja2.exceptions.SecurityError as exc:
            raise CatalogError(f"{self.path}: refused by the template sandbox ({exc}); a catalog template may "
                               "only use the variables domain_schema and rule") from None
        except jinja2.exceptions.TemplateError as exc:
            where = f" line {exc.lineno}" if getattr(exc, "lineno", None) else ""
            raise CatalogError(f"{self.path}{where}: cannot render the template: {exc}") from None
        parts = _SECTION.split(text)
        sections = {parts[i]: parts[i + 1].strip().rstrip(";").strip() for i in range(1, len(parts) - 1, 2)}
        if not sections.get("detect"):
            raise CatalogError(f"{self.path}: no '-- @detect' section with a query")
        return sections

    def detect_sql(self, domain_schema: str = "public") -> str:
        return self._render(domain_schema)["detect"]

    def repair_sql(self, domain_schema: str = "public") -> str | None:
        return self._render(domain_schema).get("repair") or None

    @property
    def automatic(self) -> bool:
        return self.repair_sql() is not None


def quote_schema(domain_schema: str) -> str:
    return sql.Identifier(domain_schema).as_string(None)


@functools.lru_cache(maxsize=None)
def _environment(directory: Path) -> jinja2.Environment:
    # One environment per directory, kept: jinja2 caches compiled templates per
    # environment (and recompiles a file whose mtime changed), so a check or a
    # reconcile batch renders without compiling again -- compiling was more than
    # half of a `check --since 1h` on an empty database (docs/performance.md).
    # A user's file may include the shipped partials (e.g. _lead_primary.sql.j2).
    search = [str(directory)] + ([str(builtin_dir())] if directory != builtin_dir() else [])
    # Sandboxed: see the module docstring.
    return jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(search), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, autoescape=False)


def _load_file(path: Path, builtin: bool) -> Rule:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read the rule file ({exc}); catalog files are UTF-8 text") from None
    header = dict(_HEADER.findall(text.split("-- @detect", 1)[0]))
    missing = {"rule", "severity", "entity", "description", "fix"} - header.keys()
    if missing:
        raise CatalogError(f"{path}: header lacks {', '.join(sorted(missing))} "
                           "(each as a line '-- key: value' before '-- @detect')")
    name = header["rule"]
    if not _NAME.match(name):
        raise CatalogError(f"{path}: rule name {name!r} is not a lower-case identifier")
    if header["severity"] not in SEVERITIES:
        raise CatalogError(f"{path}: severity {header['severity']!r} is not one of {', '.join(SEVERITIES)}")
    if not _NAME.match(header["entity"]):
        raise CatalogError(f"{path}: entity {header['entity']!r} must be a table name, e.g. calls")
    return Rule(name, header["severity"], header["entity"], header["description"], header["fix"],
                header.get("review"), path, builtin)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.name.endswith((".sql.j2", ".sql")) and not p.name.startswith("_"))


def catalog_dir_from_env(catalog_dir: str | os.PathLike | None = None) -> Path | None:
    value = catalog_dir or os.environ.get(ENV_VAR)
    return Path(value) if value else None


def load_catalog(catalog_dir: str | os.PathLike | None = None, *, builtin_only: bool = False) -> list[Rule]:
    """The shipped rules, then the user's (``catalog_dir``, else $DBGUARD_CATALOG_DIR)."""
    rules = [_load_file(p, True) for p in _files(builtin_dir())]
    user_dir = None if builtin_only else catalog_dir_from_env(catalog_dir)
    if user_dir is not None:
        if not user_dir.is_dir():
            raise CatalogError(f"catalog directory {user_dir} does not exist (from --catalog-dir or ${ENV_VAR})")
        rules += [_load_file(p, False) for p in _files(user_dir)]
    seen: dict[str, Path] = {}
    for r in rules:
        if r.name in seen:
            raise CatalogError(f"rule {r.name!r} is defined twice: {seen[r.name]} and {r.path}; rename one")
        seen[r.name] = r.path
    return rules


def select_rules(rules: list[Rule], names: list[str] | tuple[str, ...] | None) -> list[Rule]:
    if not names:
        return rules
    known = {r.name: r for r in rules}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CatalogError(f"unknown detection rule(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]


def violations_sql(rule: Rule, domain_schema: str = "public") -> sql.Composed:
    """The rule's offenders in the shape of dbguard_audit.consistency_violations."""
    return sql.SQL(
        "SELECT {rule}::text AS rule, {severity}::text AS severity, {entity}::text AS entity_type,"
        " d.entity_id::bigint AS entity_id, d.company_id::bigint AS company_id,"
        " d.call_id::bigint AS call_id, d.created_at::timestamptz AS created_at,"
        " {description}::text AS description, {fix}::text AS fix, d.details::jsonb AS details\n"
        "  FROM (\n{detect}\n) d"
    ).format(rule=sql.Literal(rule.name), severity=sql.Literal(rule.severity),
             entity=sql.Literal(rule.entity), description=sql.Literal(rule.description),
             fix=sql.Literal(rule.fix), detect=sql.SQL(rule.detect_sql(domain_schema)))


def consistency_violations_body(rules: list[Rule], domain_schema: str = "public") -> str:
    return "\nUNION ALL\n".join(violations_sql(r, domain_schema).as_string(None) for r in rules)


def docs_markdown(rules: list[Rule]) -> str:
    """docs/detection-rules.md: the rules table, generated from the catalog."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [
        "# Detection rules",
        "",
        "<!-- generated from sql/catalog/ by `dbguard render --docs`; do not edit by hand -->",
        "",
        "Each rule is one file in `sql/catalog/`; `dbguard check` finds the offenders, "
        "`dbguard reconcile` applies the fix, `dbguard_audit.consistency_violations` lists them. "
        "Add your own rule as one file in `--catalog-dir` / `$DBGUARD_CATALOG_DIR` "
        "(see docs/operations.md). That directory is trusted configuration -- its queries run with the "
        "privileges of whoever runs check or reconcile -- and its templates render in jinja2's sandbox "
        "(docs/cli.md, \"Catalog directory\").",
        "",
        "| rule | severity | entity | finds | fix | automatic |",
        "|---|---|---|---|---|---|",
    ]
    for r in rules:
        lines.append(f"| `{r.name}` | {r.severity} | `{r.entity}` | {cell(r.description)} | {cell(r.fix)} "
                     f"| {'yes' if r.automatic else 'no'} |")
    return "\n".join(lines) + "\n"
