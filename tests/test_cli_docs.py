"""docs/cli.md is the generated CLI reference, up to date with the commands."""

from __future__ import annotations

from pathlib import Path

from dbguard.cli_docs import generate

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_the_committed_cli_reference_equals_the_generator_output():
    assert DOC.read_text(encoding="utf-8") == generate(), \
        "docs/cli.md is stale: python -m dbguard.cli_docs > docs/cli.md"


def test_the_cli_reference_has_every_command_the_exit_codes_and_the_connection_order():
    text = generate()
    for heading in ("### `dbguard check`", "### `dbguard rules set-mode`", "### `dbguard embedded stop`",
                    "## Exit codes", "## Which database", "| 2 | error:", "PGSERVICEFILE"):
        assert heading in text
