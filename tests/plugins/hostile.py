"""Hostile input for the property tests (tests/test_hostile_input*.py).

Strategies for the values an application, a provider webhook or a legacy import
can put into the guarded tables, and ``attempt``: run one write and sort what
happened into "written" or "refused the documented way". Anything else -- an
internal error, a PL/pgSQL ``RAISE`` without a DG code, an undefined column or
function inside a trigger -- fails the test (docs/reliability.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Callable

import psycopg
import pytest
from psycopg.types.json import Jsonb
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import dbguard
from dbguard import errors

# Moderate: every test here runs against a real database.
HOSTILE = settings(deadline=None, max_examples=int(__import__("os").environ.get("HOSTILE_EXAMPLES", "100")), derandomize=False,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])

MODES = ("off", "alert", "correct", "enforce")
DG_CLASSES = {"23Q01": errors.GenericRuleViolation, "23Q02": errors.VocabularyViolation,
              "23Q03": errors.BookingWithoutAppointment, "23Q04": errors.TenantViolation,
              "23Q05": errors.RescheduleChainViolation, "23Q06": errors.FlagMismatch,
              "23Q07": errors.LifecycleViolation, "23Q08": errors.InvalidActingSetting}


def rule_refusals(states, ignore=()) -> list[str]:
    """The outcomes that are a dbguard rule refusing a write, less those in ``ignore``
    (SQLSTATEs)."""
    ignored = set(ignore)
    return [s for s in states
            if any(code in s for code in DG_CLASSES) and not any(code in s for code in ignored)]


# Errors PostgreSQL itself raises for data the schema cannot hold, accepted as a
# clean refusal (why each one can happen: docs/reliability.md).
ACCEPTED_SQLSTATES = {
    "22001": "string data right truncation",
    "22003": "numeric value out of range (integer/smallint/numeric(5,2) columns)",
    "22007": "invalid datetime format",
    "22008": "datetime field overflow",
    "22P02": "invalid text representation (bad uuid, bad JSON text)",
    "22P05": "untranslatable character (\\u0000 escape in JSON text)",
    "23502": "not-null violation",
    "23503": "foreign key violation (an id that does not exist)",
    "23505": "unique violation (retell_call_id, calcom_v2_booking_id, ...)",
    "23514": "check violation (ends_at > starts_at, confidence ranges, breaker key not blank)",
}


class Outcomes(Counter):
    """How the writes of one test ended: 'ok', a SQLSTATE, or 'client:NUL'."""

    samples: dict[str, str]

    def record(self, outcome: str, exc: BaseException | None = None) -> str:
        self[outcome] += 1
        if exc is not None:
            if not hasattr(self, "samples"):
                self.samples = {}
            self.samples.setdefault(outcome, " ".join(str(exc).split())[:160])
        return outcome


# Only where a function documents it: resolve_staff_for_host / assign_staff_from_booking
# refuse host/booking JSON of the wrong shape with 22023 naming the key.
SHAPE_ERROR = {"22023": "invalid parameter value (documented for host/booking JSON of the wrong shape)"}
# assign_staff_from_booking: "appointment not found" (docs/staff-assignment.md).
NOT_FOUND = {"P0002": "no_data_found (documented for assign_staff_from_booking of a missing appointment)"}


def classify(exc: BaseException, accept: dict[str, str] | None = None) -> str:
    """The outcome name of an accepted error; AssertionError for anything else."""
    if isinstance(exc, psycopg.DataError) and exc.sqlstate is None and "NUL" in str(exc):
        # psycopg refuses a NUL byte in a text parameter before it reaches the server.
        return "client:NUL"
    state = getattr(exc, "sqlstate", None)
    if state in DG_CLASSES:
        assert type(exc) is DG_CLASSES[state], f"{state} raised as {type(exc).__name__}: {exc}"
        assert isinstance(exc, errors.RuleViolation)
        diag = exc.diag
        assert diag.message_primary, f"{state} without a message"
        return state
    if state == "54000" and "index row" in str(exc):
        # A several-KB value in a unique-indexed text column (retell_call_id,
        # calcom_v2_booking_id, ...): btree entries are limited to ~2700 bytes.
        return state
    if state in ACCEPTED_SQLSTATES or state in (accept or {}):
        return state
    raise AssertionError(f"write crashed instead of succeeding or failing the documented way: "
                         f"{type(exc).__name__} SQLSTATE {state}: {exc}\n"
                         f"context: {getattr(getattr(exc, 'diag', None), 'context', None)}") from exc


def attempt(conn: psycopg.Connection, outcomes: Outcomes, write: Callable[[], object],
            accept: dict[str, str] | None = None):
    """Run ``write`` in a savepoint: (outcome, its result or None)."""
    try:
        with conn.transaction():
            result = write()
    except psycopg.Error as exc:
        return outcomes.record(classify(exc, accept), exc), None
    return outcomes.record("ok"), result


def commit(conn: psycopg.Connection, outcomes: Outcomes) -> str:
    """COMMIT (deferred rules run here); a refused commit leaves the connection usable."""
    try:
        conn.commit()
    except psycopg.Error as exc:
        conn.rollback()
        return outcomes.record("commit:" + classify(exc), exc)
    return outcomes.record("commit:ok")


def set_modes(conn: psycopg.Connection, modes: dict[str, str], via_update: bool = False) -> None:
    """Switch rules with dbguard.set_modes, or (``via_update``) as a DBA would: one UPDATE of
    dbguard.rule_settings. Either is one statement, so the rules are compiled once."""
    if via_update:
        missing = set(modes) - {r for (r,) in conn.execute("SELECT rule FROM dbguard.rule_settings")}
        if missing:
            conn.execute("INSERT INTO dbguard.rule_settings (rule, mode) SELECT unnest(%s::text[]), 'correct'",
                         (sorted(missing),))
        conn.execute("UPDATE dbguard.rule_settings s SET mode = m.value FROM jsonb_each_text(%s) AS m "
                     "WHERE s.rule = m.key", (Jsonb(modes),))
    else:
        dbguard.set_modes(conn, modes)
    conn.commit()
    compiled = dict(conn.execute("SELECT m.key, dbguard.compiled_mode(m.key) FROM jsonb_object_keys(%s) AS m(key)",
                                 (Jsonb(modes),)).fetchall())
    assert compiled == modes
    conn.commit()


def violations(conn: psycopg.Connection, rules: list[str], entities: set[tuple[str, int]]) -> list[dict]:
    """What the catalog finds among ``entities`` ((table, id) pairs) for ``rules`` (nothing recorded)."""
    if not rules or not entities:
        return []
    found = dbguard.check(conn, record=False, limit=None, rules=rules)
    conn.commit()
    return [v for v in found.violations if (v["entity_type"], int(v["entity_id"])) in entities]


# --------------------------------------------------------------------------- strategies

_ODD = ["\u200f", "\u200e", "\u202e", "\u2066", "\u200b", "\ufeff", "e\u0301", "\u0301", "🙂", "👩‍👩‍👧",
        "\U0001f1e9\U0001f1ea", "ß", "İ", "ǅ", "\u00a0", "\t", "\n", "\r\n", "'", '"', "\\", "%s", "%(x)s",
        "$1", "--", ";", "/*", "' OR '1'='1", "NULL", "null", "\x7f", "\x01"]

plain_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
odd_text = st.lists(st.sampled_from(_ODD) | plain_text, min_size=1, max_size=6).map("".join)
long_text = st.builds(lambda s, n: (s or "x") * n, st.sampled_from(["a", "🙂", "e\u0301", "\u202e", "x y "]),
                      st.integers(1000, 200_000))
nul_text = st.builds(lambda a, b: a + "\x00" + b, plain_text, plain_text)


def hostile_text(vocabulary: list[str] | None = None, nul: bool = False) -> st.SearchStrategy:
    """NULL, a known code (also in odd case or with blanks), or odd/long text; with ``nul``
    also text with a NUL byte (kept to a few columns, or most writes would die on it)."""
    options = [st.none(), plain_text, odd_text, long_text]
    if vocabulary:
        code = st.sampled_from(vocabulary)
        options += [code, code, code.map(str.upper), code.map(lambda c: f"  {c.title()} "),
                    code.map(lambda c: c + "\u200b"), code.map(lambda c: "\u202e" + c)]
    if nul:
        options.append(nul_text)
    return st.one_of(options)


json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                        st.floats(allow_nan=False, allow_infinity=False), odd_text, plain_text)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(plain_text | odd_text, inner, max_size=4), max_leaves=12)

timestamps = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                                               timezones=st.just(dt.timezone.utc)))
bigints = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))


def vocabulary(conn: psycopg.Connection, name: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT code FROM dbguard.vocabularies WHERE vocabulary = %s ORDER BY code",
                                       (name,))]


@pytest.fixture
def outcomes(request) -> Outcomes:
    """Counts outcomes; printed with -s / in the report (docs/reliability.md)."""
    counts = Outcomes()
    yield counts
    print(f"\n{request.node.name}: {dict(sorted(counts.items()))}")
    for outcome, message in sorted(getattr(counts, "samples", {}).items()):
        print(f"  {outcome}: {message}")
