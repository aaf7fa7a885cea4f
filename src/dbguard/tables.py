"""Tables of the text and Markdown outputs, through tabulate.

Cells are formatted as given (no number parsing: an id stays as written);
an empty table is the line ``(none)``."""

from __future__ import annotations

from typing import Iterable, Sequence

from tabulate import tabulate

NONE = "(none)"


def format_table(header: Sequence[str], rows: Iterable[Sequence], *, markdown: bool = False,
                 missing: str = "") -> str:
    """``rows`` under ``header``, columns aligned with two spaces (or a GitHub Markdown
    table); ``missing`` stands for None."""
    rows = [list(r) for r in rows]
    if not rows:
        return NONE
    if markdown:
        # A '|' inside a cell would end the cell.
        rows = [[None if v is None else str(v).replace("|", "\\|") for v in r] for r in rows]
    text = tabulate(rows, headers=list(header), tablefmt="github" if markdown else "plain",
                    missingval=missing, disable_numparse=True)
    return "\n".join(line.rstrip() for line in text.splitlines())
