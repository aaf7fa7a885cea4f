"""docs/rules/<rule>.md, generated from each rule's source: ``dbguard render --rule-docs docs/rules``
(or ``python -m dbguard.rule_docs docs/rules``).

A rule's source is ``sql/triggers/<rule>.sql``, else the highest ``sql/triggers/<rule>/vN.sql``.
It opens with one ``-- key: value`` line per header key (rule, version, tables, timing,
guarantees, modes, function), followed by comment lines of prose. A page shows what the header
says (a missing key is left out), the prose, the triggers the source creates, and the alert
types and SQLSTATEs its code -- and the dbguard functions it calls -- can raise. Hand-written
notes live between ``<!-- notes -->`` and ``<!-- /notes -->`` and are kept when the page is
written again. tests/test_rule_docs.py checks that every committed page equals what this
module generates now.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .compiler import FRAGMENT, Fragment, parse_fragments
from .errors import DbguardError, RuleViolation
from .resources import sql_dir

NOTES_OPEN = "<!-- notes -->"
NOTES_CLOSE = "<!-- /notes -->"
MODES = ("off", "alert", "correct", "enforce")

_HEADER = re.compile(r"--\s*([a-z_]+):\s*(.*\S)\s*$")
# A paragraph of the prose that narrates an earlier version ("v5: ...", "v4 (...)") is history:
# it belongs in git and CHANGELOG.md, not on the page.
_HISTORY = re.compile(r"v\d+\b\s*[:(]")
_TRIGGER = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?P<constraint>CONSTRAINT\s+)?TRIGGER\s+(?P<name>\w+)\s+"
    r"(?P<timing>BEFORE|AFTER|INSTEAD\s+OF)\s+(?P<events>.+?)\s+ON\s+(?P<table>[\w.\"]+)"
    r"(?P<rest>.*?)EXECUTE\s+(?:FUNCTION|PROCEDURE)\s+(?P<function>[\w.\"]+)\s*\(",
    re.S | re.I)
_CALL = re.compile(r"\bdbguard\.([a-z_][a-z0-9_]*)\s*\(", re.I)
_SQLSTATE = re.compile(r"'(23Q\d\d)'")
_LITERAL = re.compile(r"'([a-z][a-z0-9_]*)'")


@dataclass
class Trigger:
    name: str
    table: str
    fires: str
    level: str


@dataclass
class RuleSource:
    rule: str
    path: Path
    header: dict[str, str]
    prose: list[str]
    triggers: list[Trigger]
    alert_types: list[str]
    sqlstates: dict[str, list[str]] = field(default_factory=dict)  # code -> where it is raised
    fragments: tuple[Fragment, ...] = ()


# --- finding sources ---------------------------------------------------------------------------

def _versioned(folder: Path) -> Path | None:
    found = [(int(m.group(1)), f) for f in folder.glob("v*.sql") if (m := re.fullmatch(r"v(\d+)\.sql", f.name))]
    return max(found)[1] if found else None


def _object_source(kind: str, name: str) -> Path | None:
    """``sql/<kind>/<name>.sql``, else the highest ``sql/<kind>/<name>/vN.sql``."""
    base = sql_dir() / kind
    single = base / f"{name}.sql"
    if single.is_file():
        return single
    return _versioned(base / name) if (base / name).is_dir() else None


def rule_sources() -> dict[str, Path]:
    """Each shipped rule and the file its current version is read from."""
    out: dict[str, Path] = {}
    base = sql_dir() / "triggers"
    for entry in sorted(base.iterdir()):
        name = entry.stem if entry.is_file() else entry.name
        # Only <rule>.sql and <rule>/ are rules: not a revert script (<rule>.revert.sql), a
        # partial or template (_name, *.j2), or anything hidden.
        if entry.is_file() and entry.suffix != ".sql" or name.startswith(("_", ".")) or "." in name:
            continue
        path = _object_source("triggers", name)
        if path is not None:
            out[name] = path
    return dict(sorted(out.items()))


# --- parsing -----------------------------------------------------------------------------------

def strip_comments(sql: str) -> str:
    """The SQL without ``--`` comments (a ``--`` inside a quoted string is kept)."""
    out, quoted, i = [], False, 0
    while i < len(sql):
        ch = sql[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _header_and_prose(text: str) -> tuple[dict[str, str], list[str]]:
    lines = text.splitlines()
    header: dict[str, str] = {}
    i = 0
    while i < len(lines) and (m := _HEADER.match(lines[i])):
        header.setdefault(m.group(1), m.group(2))
        i += 1
    paragraphs: list[list[str]] = [[]]
    for line in lines[i:]:
        stripped = line.strip()
        if not stripped:
            paragraphs.append([])
            continue
        if not stripped.startswith("--") or FRAGMENT.match(stripped):
            break
        body = stripped[2:]
        body = body[1:] if body.startswith(" ") else body
        if not body.strip():
            paragraphs.append([])
        elif _HISTORY.match(body):
            paragraphs.append([body])  # a version note starts a paragraph of its own
        else:
            paragraphs[-1].append(body)
    prose = [" ".join(part.strip() for part in p) if not any(part.lstrip().startswith("*") for part in p)
             else "\n".join(p)
             for p in paragraphs if p and not _HISTORY.match(p[0])]
    return header, prose


def _split_args(text: str, start: int) -> list[str]:
    """The top-level, comma-separated arguments of the call whose '(' is at ``start``."""
    depth, quoted, args, current = 0, False, [], []
    for ch in text[start:]:
        if ch == "'":
            quoted = not quoted
        if not quoted:
            if ch == "(":
                depth += 1
                if depth == 1:
                    continue
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    args.append("".join(current).strip())
                    return args
            elif ch == "," and depth == 1:
                args.append("".join(current).strip())
                current = []
                continue
        current.append(ch)
    return args


def _values_of(expr: str, code: str) -> list[str]:
    """The text values an expression can take: a literal, a CASE's results, or what a variable is assigned."""
    expr = expr.strip()
    if m := re.fullmatch(r"'([a-z][a-z0-9_]*)'", expr):
        return [m.group(1)]
    if expr.upper().startswith("CASE"):
        return re.findall(r"\b(?:THEN|ELSE)\s+'([a-z][a-z0-9_]*)'", expr, re.I)
    if re.fullmatch(r"[a-z_][a-z0-9_]*", expr, re.I) and not expr.lower().startswith("p_"):
        found = []
        for m in re.finditer(rf"\b{re.escape(expr)}\s*:=\s*(.+?);", code, re.S | re.I):
            found += _values_of(m.group(1), code)
        return found
    return []


def _alerts_and_codes(code: str) -> tuple[list[str], list[str]]:
    alerts: list[str] = []
    for m in _CALL.finditer(code):
        fn = m.group(1).lower()
        position = {"raise_alert": 0, "rule_violation": 3}.get(fn)
        if position is None:
            continue
        args = _split_args(code, m.end() - 1)
        if len(args) > position:
            alerts += _values_of(args[position], code)
    return alerts, _SQLSTATE.findall(code)


def _own_functions(code: str) -> set[str]:
    return {m.group(1).lower() for m in re.finditer(
        r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+dbguard\.([a-z_][a-z0-9_]*)", code, re.I)}


def _triggers(code: str) -> list[Trigger]:
    out = []
    for m in _TRIGGER.finditer(code):
        rest = " ".join(m.group("rest").split()).upper()
        events = " ".join(m.group("events").split())
        level = "statement" if "FOR EACH STATEMENT" in rest else "row"
        if m.group("constraint"):
            level += ", deferred to commit" if "INITIALLY DEFERRED" in rest else ", constraint trigger"
        out.append(Trigger(m.group("name"), m.group("table"), f"{m.group('timing').upper()} {events}", level))
    return out


def parse(rule: str, path: Path) -> RuleSource:
    text = path.read_text(encoding="utf-8")
    header, prose = _header_and_prose(text)
    code = strip_comments(text)
    alerts, codes = _alerts_and_codes(code)
    sqlstates: dict[str, list[str]] = {c: ["the rule"] for c in codes}
    # Follow the dbguard functions the rule calls (and those they call): a vocabulary check
    # raises its 23Q02 inside dbguard.vocabulary_value(), not in the rule's own code.
    seen = _own_functions(code)
    queue = sorted({m.group(1).lower() for m in _CALL.finditer(code)} - seen)
    while queue:
        fn = queue.pop(0)
        if fn in seen:
            continue
        seen.add(fn)
        source = _object_source("functions", fn)
        if source is None:
            continue
        helper = strip_comments(source.read_text(encoding="utf-8"))
        more_alerts, more_codes = _alerts_and_codes(helper)
        alerts += more_alerts
        for c in more_codes:
            where = sqlstates.setdefault(c, [])
            if f"`dbguard.{fn}()`" not in where:
                where.append(f"`dbguard.{fn}()`")
        queue += sorted({m.group(1).lower() for m in _CALL.finditer(helper)} - seen)
    return RuleSource(rule, path, header, prose, _triggers(code), sorted(set(alerts)),
                      dict(sorted(sqlstates.items())), parse_fragments(rule, text))


# --- rendering ---------------------------------------------------------------------------------

def _error_classes() -> dict[str, str]:
    return {cls.sqlstate: cls.__name__ for cls in RuleViolation.__subclasses__()}


def _relative(path: Path) -> str:
    try:
        return path.relative_to(sql_dir().parent).as_posix()
    except ValueError:  # pragma: no cover - a wheel keeps sql/ inside the package
        return path.name


def generate(rule: str, notes: str | None = None) -> str:
    """The page of one rule; ``notes`` is the hand-written text kept between the notes markers."""
    sources = rule_sources()
    if rule not in sources:
        raise DbguardError(f"no rule {rule!r} in {sql_dir() / 'triggers'}; shipped rules: {', '.join(sources)}")
    src = parse(rule, sources[rule])
    h = src.header
    out = [f"# Rule `{h.get('rule', rule)}`", "",
           f"<!-- generated from {_relative(src.path)} by `dbguard render --rule-docs docs/rules`; "
           "edit the rule's header, or the Notes section below -->", ""]
    compiled_into = sorted({f.function for f in src.fragments})
    facts = [f"version {h['version']}" if "version" in h else None,
             f"function `{h['function']}`" if "function" in h else None,
             "compiled into " + ", ".join(f"`{f}`" for f in compiled_into) if compiled_into else None]
    if any(facts):
        out += ["Shipped " + ", ".join(f for f in facts if f) + ".", ""]
    if "guarantees" in h:
        out += ["## What it guarantees", "", h["guarantees"], ""]

    out += ["## Tables and timing", ""]
    for key, label in (("tables", "Tables"), ("timing", "Timing")):
        if key in h:
            out += [f"**{label}:** {h[key]}", ""]
    if src.fragments:
        out += ["| compiled into | table | fires | order | fast path |", "|---|---|---|---|---|"]
        for f in sorted(src.fragments, key=lambda f: (f.table, f.timing, f.order)):
            fires = [("INSERT" if f.on_insert else None),
                     ("UPDATE" + (" OF " + ", ".join(f.update_of) if f.update_of else "") if f.on_update else None),
                     ("DELETE" if f.on_delete else None)]
            fast = "; ".join(f"{event}: `{cond}`" for event, cond in
                             (("insert", f.insert_when), ("update", f.update_when), ("delete", f.delete_when)) if cond)
            out.append(f"| `{f.function}` | `{f.table}` | {f.timing.split('_')[0].upper()} "
                       f"{' OR '.join(e for e in fires if e)} (row) | {f.order:03d} | {fast or '-'} |")
        out += ["", "A compiled rule is a labeled block of its table's and timing's one trigger function; blocks run "
                "in the order shown (an update enters a block when a column it lists changed), and a rule in `off` "
                "has no code there "
                "([concepts](../concepts.md#the-trigger-order)).", ""]
    if src.triggers:
        out += ["| trigger | table | fires | level |", "|---|---|---|---|"]
        out += [f"| `{t.name}` | `{t.table}` | {t.fires} | {t.level} |" for t in src.triggers]
        out += ["", "Triggers of one table and timing fire in the order of their names "
                "([concepts](../concepts.md#the-trigger-order)).", ""]

    out += ["## Modes", ""]
    if "modes" in h:
        out += [h["modes"], ""]
    out += ["What `off`, `alert`, `correct` (the default) and `enforce` mean for every rule: "
            "[concepts](../concepts.md#modes); `dbguard rules set-mode " + rule + " MODE` switches it.", ""]

    # The prose of a one-file source says what the rule does now; the comments of a versioned
    # vN.sql mix that with the history of earlier versions, so they stay out of the page.
    if src.prose and src.path.parent.name == "triggers":
        out += ["## How it works", ""]
        for p in src.prose:
            out += [p, ""]

    out += ["## Alerts and errors", ""]
    if src.alert_types:
        out += ["Alert types it records in `dbguard.data_consistency_alerts`: "
                + ", ".join(f"`{a}`" for a in src.alert_types) + ".", ""]
    else:
        out += ["It records no alerts of its own.", ""]
    if src.sqlstates:
        classes = _error_classes()
        out += ["| SQLSTATE | `dbguard.errors` class | raised by |", "|---|---|---|"]
        out += [f"| `{c}` | `{classes.get(c, 'RuleViolation')}` | {', '.join(where)} |"
                for c, where in src.sqlstates.items()]
        out += ["", "What each code means, and how clients see it: [errors](../errors.md).", ""]
    else:
        out += ["It raises no error of its own.", ""]

    out += ["## Notes", "", NOTES_OPEN]
    body = (notes or "").strip("\n")
    out += [body, NOTES_CLOSE, ""] if body else [NOTES_CLOSE, ""]
    return "\n".join(out)


def notes_of(page: str) -> str | None:
    """The hand-written text between the notes markers of a page, if it has them."""
    start, end = page.find(NOTES_OPEN), page.find(NOTES_CLOSE)
    if start < 0 or end < start:
        return None
    return page[start + len(NOTES_OPEN):end]


def write(directory: str | Path) -> list[Path]:
    """Write every rule's page into ``directory``, keeping each page's notes; returns the pages written."""
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise DbguardError(f"--rule-docs {target}: not a directory; give the folder the pages go in (docs/rules)")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for rule in rule_sources():
        page = target / f"{rule}.md"
        notes = notes_of(page.read_text(encoding="utf-8")) if page.exists() else None
        text = generate(rule, notes)
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            page.write_text(text, encoding="utf-8")
        written.append(page)
    return written


if __name__ == "__main__":  # pragma: no cover
    for p in write(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"):
        print(p)
