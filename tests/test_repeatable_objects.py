"""Functions, rules and dbguard's bookkeeping objects are repeatable: `dbguard migrate` installs
them after the versioned migrations whenever the shipped source differs from what the database
recorded, and only then. `migrate --dry-run` is a runnable script of exactly that. A release
upgrades a 1.0 database (one new migration, one rule's new version) and rolls back again."""

from __future__ import annotations

import shutil
import subprocess
import sys

import psycopg
import pytest

import dbguard
from dbguard import migrator, resources
from dbguard.rules import shipped_rules

quiet = {"notify": lambda _msg: None}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbguard", *args], capture_output=True, text=True, timeout=300)


def test_a_second_migrate_changes_nothing_and_says_so(dsn):
    done = _cli("--dsn", dsn, "migrate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "already up to date: no migration pending, no function or rule changed"
    assert "functions and rules: all up to date" in done.stderr
    assert "installed " not in done.stderr


def test_a_changed_function_source_reinstalls_that_function_and_the_objects_that_call_functions(conn, dsn):
    conn.execute("UPDATE dbguard.installed_objects SET checksum = 'older' WHERE kind = 'function' AND name = 'raise_alert'")
    conn.commit()
    assert any("function raise_alert: the shipped source changed" in p for p in dbguard.status(conn)["problems"])
    conn.rollback()  # a reader's transaction would hold the install back (lock_timeout)

    result = dbguard.migrate(dsn, **quiet)

    assert result.applied == [] and result.reinstalled == ["function raise_alert", "schema repeatable"]
    report = dbguard.status(conn)
    assert report["ok"], report["problems"]
    # The privilege model holds for the re-installed function: owner only, pinned search_path.
    assert conn.execute("""SELECT p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE')
                             FROM pg_proc p WHERE p.oid = 'dbguard.raise_alert'::regproc""").fetchone() == \
        (True, ["search_path=pg_catalog, pg_temp"], False)


@pytest.mark.parametrize("sabotage, drift", [
    ("ALTER FUNCTION dbguard.review_priority(text) SET work_mem = '64kB'", "modified"),
    ("DROP FUNCTION dbguard.review_priority(text)", "missing"),
])
def test_a_function_changed_by_hand_is_drift_that_migrate_puts_back(conn, dsn, sabotage, drift):
    before = conn.execute("SELECT dbguard.review_priority('calcom_booking_failed')").fetchone()[0]
    conn.execute(sabotage)
    conn.commit()

    report = dbguard.status(conn)
    assert {"kind": "function", "name": "review_priority", "drift": drift} in report["objects"]
    assert "function review_priority" in report["drift"] and not report["ok"]
    assert any(f"dbguard.review_priority: drift ({drift})" in p for p in report["problems"])
    conn.rollback()

    assert "function review_priority" in dbguard.migrate(dsn, **quiet).reinstalled
    assert dbguard.status(conn)["ok"], dbguard.status(conn)["problems"]
    assert conn.execute("SELECT dbguard.review_priority('calcom_booking_failed')").fetchone()[0] == before


VIEWDEF = "SELECT pg_get_viewdef('dbguard_audit.link_status'::regclass)"


@pytest.mark.parametrize("sabotage, drift", [
    ("CREATE OR REPLACE VIEW dbguard_audit.link_status AS SELECT * FROM ({}) v WHERE false", "modified"),
    ("DROP VIEW dbguard_audit.link_status", "missing"),
])
def test_an_audit_view_changed_by_hand_is_drift_that_migrate_puts_back(conn, dsn, sabotage, drift):
    before = conn.execute(VIEWDEF).fetchone()[0]
    conn.execute(sabotage.format(before.rstrip().rstrip(";")))
    conn.commit()

    report = dbguard.status(conn)
    assert {"kind": "view", "name": "link_status", "drift": drift} in report["objects"]
    assert any(f"view dbguard_audit.link_status: drift ({drift})" in p for p in report["problems"])
    conn.rollback()

    dbguard.migrate(dsn, **quiet)
    assert dbguard.status(conn)["ok"], dbguard.status(conn)["problems"]
    assert conn.execute(VIEWDEF).fetchone()[0] == before


def test_a_mode_or_vocabulary_change_is_not_drift(conn):
    dbguard.set_mode(conn, "call_direction_default", "alert")
    dbguard.set_mode(conn, "lead_rollup", "enforce")
    conn.execute("INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES ('call_direction', 'transfer')")
    conn.commit()
    report = dbguard.status(conn)
    assert report["ok"], report["problems"]


def test_a_function_the_package_no_longer_ships_is_dropped_with_its_triggers(conn, dsn):
    # As an earlier release would have left it: a recorded function and a trigger that calls it.
    conn.execute("CREATE FUNCTION dbguard.tg_vocabularies__retired() RETURNS trigger LANGUAGE plpgsql "
                 "SET search_path = pg_catalog, pg_temp AS $$ BEGIN RETURN NULL; END $$")
    conn.execute("REVOKE ALL ON FUNCTION dbguard.tg_vocabularies__retired() FROM PUBLIC")
    conn.execute("CREATE TRIGGER dbguard_retired AFTER INSERT ON dbguard.vocabularies "
                 "FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_vocabularies__retired()")
    conn.execute("INSERT INTO dbguard.installed_objects (kind, name, checksum) "
                 "VALUES ('function', 'tg_vocabularies__retired', 'shipped once')")
    conn.commit()
    assert any("DROP FUNCTION %s CASCADE" in statement and "'tg_vocabularies__retired'" in statement
               for statement in dbguard.migrate(dsn, dry_run=True).sql)

    assert "removed tg_vocabularies__retired" in dbguard.migrate(dsn, **quiet).reinstalled
    assert conn.execute("SELECT to_regproc('dbguard.tg_vocabularies__retired')").fetchone()[0] is None
    assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'dbguard_retired'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM dbguard.installed_objects WHERE name = 'tg_vocabularies__retired'"
                        ).fetchone()[0] == 0
    assert dbguard.status(conn)["ok"], dbguard.status(conn)["problems"]
    assert dbguard.migrate(dsn, **quiet).reinstalled == []


def test_dry_run_on_a_current_database_has_nothing_to_apply(dsn):
    assert dbguard.migrate(dsn, dry_run=True).sql == []
    done = _cli("--dsn", dsn, "migrate", "--dry-run")
    assert done.returncode == 0 and done.stdout.strip() == "-- nothing to apply"


def test_the_dry_run_script_run_with_psql_on_a_blank_database_leaves_it_current(blank_dsn, tmp_path):
    script = tmp_path / "migrate.sql"
    script.write_text("\n".join(dbguard.migrate(blank_dsn, dry_run=True).sql))
    text = script.read_text()
    lines = text.splitlines()
    assert lines.count("BEGIN;") == lines.count("COMMIT;") == 3  # the baseline, the repeatables, the views
    assert "CREATE INDEX CONCURRENTLY" in text

    done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", blank_dsn, "-f", str(script)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    with psycopg.connect(blank_dsn) as conn:
        report = dbguard.status(conn)
        assert report["ok"], report["problems"]
        assert report["pending"] == [] and all(m["checksum"] == "ok" for m in report["migrations"])
        assert conn.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone()[0] == "inbound"
    again = dbguard.migrate(blank_dsn, **quiet)
    assert again.applied == [] and again.reinstalled == []
    assert dbguard.migrate(blank_dsn, dry_run=True).sql == []


NEXT_MIGRATION = '''"""Next release: where the booking widget was embedded."""
step("ALTER TABLE public.appointments ADD COLUMN IF NOT EXISTS widget_page text",
     "ALTER TABLE public.appointments DROP COLUMN IF EXISTS widget_page")
'''


def _next_release(root) -> None:
    """A copy of this package's sql/ and migrations/ with call_direction_default one version on
    (new calls default to outbound, and it fires first: its compiled trigger is renamed) and one
    new versioned migration."""
    shutil.copytree(resources.sql_dir(), root / "sql")
    shutil.copytree(resources.migrations_dir(), root / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    rule = root / "sql" / "triggers" / "call_direction_default.sql"
    text = rule.read_text()
    version = shipped_rules()["call_direction_default"]
    for old, new in [(f"-- version: {version}\n", f"-- version: {version + 1}\n"),
                     ("NEW.direction := 'inbound';", "NEW.direction := 'outbound';"),
                     ("-- fragment: calls before row 100\n", "-- fragment: calls before row 050\n")]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    rule.write_text(text)
    last = migrator.load_migrations()[-1].id
    (root / "migrations" / f"{int(last[:4]) + 1:04d}_next_release.py").write_text(NEXT_MIGRATION)


def _state(dsn: str) -> tuple:
    with psycopg.connect(dsn) as c:
        report = dbguard.status(c)
        version = c.execute("SELECT version FROM dbguard.installed_rules WHERE rule = 'call_direction_default'"
                            ).fetchone()[0]
        triggers = [r[0] for r in c.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.calls'::regclass "
                                            "AND tgname LIKE 'dbguard%before_row' ORDER BY 1")]
        column = c.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.appointments'::regclass "
                           "AND attname = 'widget_page' AND NOT attisdropped").fetchone()[0]
        direction = c.execute("INSERT INTO public.calls DEFAULT VALUES RETURNING direction").fetchone()[0]
        c.rollback()
        return report["ok"], report["problems"], version, triggers, column, direction


def test_a_release_upgrades_a_1_0_database_and_rolls_back_to_it(blank_dsn, tmp_path, monkeypatch):
    dbguard.migrate(blank_dsn, **quiet)
    with psycopg.connect(blank_dsn, autocommit=True) as c:
        dbguard.set_mode(c, "call_direction_default", "enforce")
    version = shipped_rules()["call_direction_default"]
    assert _state(blank_dsn) == (True, [], version, ["dbguard_100_before_row"], 0, "inbound")
    _next_release(tmp_path)
    release_1_0 = resources._root()

    monkeypatch.setattr(resources, "_root", lambda: tmp_path)
    with psycopg.connect(blank_dsn) as c:
        pending = dbguard.status(c)
    assert pending["pending"] == [migrator.load_migrations()[-1].id]
    assert any("rule call_direction_default" in p and "(run dbguard migrate)" in p for p in pending["problems"])
    upgrade = dbguard.migrate(blank_dsn, **quiet)
    assert upgrade.applied == [migrator.load_migrations()[-1].id]
    assert upgrade.reinstalled == ["rule call_direction_default"]
    assert _state(blank_dsn) == (True, [], version + 1, ["dbguard_050_before_row"], 1, "outbound")

    assert dbguard.rollback(blank_dsn, count=1, **quiet).rolled_back == upgrade.applied
    monkeypatch.setattr(resources, "_root", lambda: release_1_0)
    downgrade = dbguard.migrate(blank_dsn, **quiet)
    assert downgrade.applied == [] and downgrade.reinstalled == ["rule call_direction_default"]
    assert _state(blank_dsn) == (True, [], version, ["dbguard_100_before_row"], 0, "inbound")
    with psycopg.connect(blank_dsn) as c:
        assert c.execute("SELECT mode FROM dbguard.rule_settings WHERE rule = 'call_direction_default'"
                         ).fetchone()[0] == "enforce"
