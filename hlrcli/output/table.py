"""Terminal tables with rich: the columns that matter, in the width there is, statuses coloured."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, TextIO

STATUS_STYLES = {
    "CONNECTED": "green",
    "ABSENT": "yellow",
    "INVALID_MSISDN": "red",
    "UNDETERMINED": "magenta",
    "PENDING": "cyan",
    "SUBMITTED": "cyan",
    "ok": "green",
    "fail": "red",
    "warn": "yellow",
    "skip": "dim",
}
MIN_FLEX = 8  # a shortened column keeps at least this many characters (with an ellipsis)
BORDERS = 3  # characters a column costs beyond its content: "│ " before, " " after


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def render_table(
    stream: TextIO,
    rows: list[dict[str, Any]],
    columns: Sequence[str] | None,
    summary: Sequence[str] | None,
    *,
    whole: bool = True,
) -> None:
    """One record whole (name/value lines), several as a table of the `summary` columns that fit."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hlrcli.output import _cell

    # Off a terminal (a file, a pipe) nothing limits the width: never cut cells there.
    width = None if _isatty(stream) else 10_000
    console = Console(file=stream, no_color="NO_COLOR" in os.environ or None, soft_wrap=False, width=width)

    def styled(value: Any) -> Text:
        text = _cell(value)
        return Text(text, style=STATUS_STYLES.get(text, ""))

    if len(rows) == 1 and whole:
        single = Table(show_header=False, box=None, pad_edge=False)
        single.add_column(style="bold", no_wrap=True)
        single.add_column(overflow="fold")
        for key, value in rows[0].items():
            if value not in (None, "", ()):
                single.add_row(key, styled(value))
        console.print(single)
        return
    cols = list(summary or columns or [])
    # Columns empty in every row say nothing: left out (unless nothing would be left).
    cols = [c for c in cols if any(r.get(c) not in (None, "", ()) for r in rows)] or cols
    cells = {c: [_cell(r.get(c)) for r in rows] for c in cols}
    natural = {c: max([len(c), *(len(v) for v in cells[c])]) for c in cols}
    fixed = {c for c in cols if any(v in STATUS_STYLES for v in cells[c])}
    if cols:
        fixed.add(cols[0])  # the number the row is about is never shortened
    room = console.width - 1
    # Drop columns from the right (never the first two) until their shortest form fits the terminal.
    while (
        len(cols) > 2
        and sum(min(natural[c], MIN_FLEX) if c not in fixed else natural[c] for c in cols) + BORDERS * len(cols) > room
    ):
        cols.pop(-2 if cols[-1] == "error" else -1)
    table = Table(header_style="bold")
    for col in cols:
        keep = natural[col] if col in fixed else min(natural[col], MIN_FLEX)
        table.add_column(col, overflow="ellipsis", no_wrap=True, min_width=keep)
    for row in rows:
        table.add_row(*(styled(row.get(c)) for c in cols))
    console.print(table)
