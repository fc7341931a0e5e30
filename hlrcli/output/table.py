"""Terminal tables with rich: the columns that matter, in the width there is, statuses coloured."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
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
MIN_FLEX = 6  # a shortened column keeps at least this many characters (with an ellipsis)
BORDERS = 3  # characters a column costs beyond its content: "│ " before, " " after


def _current_network(row: dict[str, Any]) -> Any:
    if row.get("is_ported") and row.get("ported_network_name"):
        return row["ported_network_name"]
    return row.get("original_network_name")


# Columns a terminal table shows without them being fields (CSV and JSON keep the provider's own fields).
DERIVED: dict[str, Callable[[dict[str, Any]], Any]] = {"network": _current_network}


def _fit(cols: list[str], natural: dict[str, int], fixed: set[str], width: int) -> dict[str, int]:
    """Column widths that fit `width`: natural where there is room; else the flexible columns share the rest
    (at least MIN_FLEX each), and columns are dropped from the right (`error` last) when even that is too wide."""
    cols = list(cols)
    while True:
        room = width - BORDERS * len(cols) - 1
        need = sum(natural[c] for c in cols)
        if need <= room:
            return {c: natural[c] for c in cols}
        flexible = [c for c in cols if c not in fixed]
        spare = room - sum(natural[c] for c in cols if c in fixed)
        if flexible and spare >= MIN_FLEX * len(flexible):
            out = {c: natural[c] for c in cols}
            # Shorten the widest first, so short columns (flags, costs) keep their full text.
            for c in sorted(flexible, key=lambda name: natural[name]):
                share = spare // len(flexible)
                out[c] = min(natural[c], max(MIN_FLEX, share))  # a short column keeps its own width
                spare -= out[c]
                flexible = [f for f in flexible if f != c]
            return out
        if len(cols) <= 2:
            return {c: max(1, min(natural[c], room // len(cols))) for c in cols}
        cols.pop(-2 if cols[-1] == "error" else -1)


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

    from hlrcli.output import _cell, isatty

    # Off a terminal (a file, a pipe) nothing limits the width: never cut cells there.
    width = None if isatty(stream) else 10_000
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
    derived = [c for c in cols if c in DERIVED and all(c not in r for r in rows)]
    if derived:
        rows = [{**r, **{c: DERIVED[c](r) for c in derived}} for r in rows]
    # Columns empty in every row say nothing: left out (unless nothing would be left).
    cols = [c for c in cols if any(r.get(c) not in (None, "", ()) for r in rows)] or cols
    cells = {c: [_cell(r.get(c)) for r in rows] for c in cols}
    natural = {c: max([len(c), *(len(v) for v in cells[c])]) for c in cols}
    # The number a row is about, and statuses, are never shortened; the other columns share what is left.
    fixed = {c for c in cols if any(v in STATUS_STYLES for v in cells[c])} | set(cols[:1])
    widths = _fit(cols, natural, fixed, console.width)
    if len(widths) < len(cols):
        # Columns had to go: first let a status column's long header ("connectivity_status") yield to its values.
        narrow = {c: max([6, *map(len, cells[c])]) if c in fixed and c != cols[0] else natural[c] for c in cols}
        widths = max(widths, _fit(cols, narrow, fixed, console.width), key=len)
    table = Table(header_style="bold")
    for col in widths:
        table.add_column(col, overflow="ellipsis", no_wrap=True, width=widths[col])
    for row in rows:
        table.add_row(*(styled(row.get(c)) for c in widths))
    console.print(table)
