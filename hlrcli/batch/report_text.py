"""A report on a terminal: the headline figures, a table with bars per dimension, two runs side by side; and the
three-line breakdown a batch ends with."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from hlrcli.batch.report import (
    FAILED,
    NONE_LABEL,
    OK,
    Comparison,
    Dimension,
    DimensionChange,
    Report,
    _percent,
    ellipsize,
)
from hlrcli.models import ABSENT, CONNECTED, INVALID_MSISDN, PENDING, UNDETERMINED

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


# Terminal --------------------------------------------------------------------------------------------------------
# The same palette as the HTML page and close to the result tables': green live, amber absent, red invalid.
STATUS_STYLES = {
    CONNECTED: "green",
    ABSENT: "yellow",
    INVALID_MSISDN: "red",
    UNDETERMINED: "grey62",
    PENDING: "cyan",
    FAILED: "red3",
    OK: "green",
}
_BAR_STYLE = "blue"
_MUTED_STYLE = "grey50"
_EIGHTHS = " ▏▎▍▌▋▊▉"
VALUE_WIDTH = 26


def bar(fraction: float, width: int) -> str:
    """A horizontal bar `width` cells long at 100 %, in eighths of a cell; a non-zero share shows at least ▏."""
    units = round(max(0.0, min(1.0, fraction)) * width * 8)
    if units == 0 and fraction > 0:
        units = 1
    full, part = divmod(units, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _int(n: int) -> str:
    return f"{n:,}"


def _pct(p: float) -> str:
    return f"{p:.1f}%"


def _pp(p: float) -> str:
    # −0.0 and +0.0 read as noise: a rounded zero has no sign.
    text = f"{p:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text.replace("-", "−")


def _signed(n: int) -> str:
    return f"{n:+,}".replace("-", "−") if n else "0"


def _style(dim: str, value: str) -> str:
    if value == NONE_LABEL or value.startswith("other ("):
        return _MUTED_STYLE
    if dim == "status":
        return STATUS_STYLES.get(value, _BAR_STYLE)
    return _BAR_STYLE


def _distinct_text(report: Report) -> str:
    return _int(report.distinct) if report.distinct_exact else f"≈ {_int(report.distinct)}"


def _headline(report: Report) -> RenderableType:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    for justify in ("left", "right", "left", "right", "right"):
        grid.add_column(justify=justify)

    def share(n: int) -> str:
        return _pct(_percent(n, report.rows))

    grid.add_row(
        "[bold]rows[/]", _int(report.rows), "[bold]with result[/]", _int(report.with_result), share(report.with_result)
    )
    grid.add_row(
        "[bold]distinct[/]", _distinct_text(report), "[bold]pending[/]", _int(report.pending), share(report.pending)
    )
    grid.add_row("[bold]cost[/]", report.cost_text(), "[bold]failed[/]", _int(report.failed), share(report.failed))
    maybe = report.maybe_text()
    if report.uncertain or maybe:
        uncertain = report.uncertain or 0
        grid.add_row("[bold]maybe billed[/]", maybe or "none", "[bold]uncertain[/]", _int(uncertain), share(uncertain))
    return grid


def _dimension_table(dim: Dimension, width: int) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    if not dim.buckets:
        return Text(f"{dim.title}: no rows", style=_MUTED_STYLE)
    value_width = min(VALUE_WIDTH, max([len(dim.title), *(len(b.value) for b in dim.buckets)]))
    count_width = max(5, *(len(_int(b.count)) for b in dim.buckets))
    # Four columns with one space between them; what is left is the bar's, capped so 100 % is not a mile long.
    bar_width = max(8, min(40, width - value_width - count_width - 6 - 3 - 1))
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), show_edge=False, header_style="bold")
    table.add_column(dim.title, min_width=value_width, max_width=value_width, no_wrap=True, overflow="ellipsis")
    table.add_column("count", justify="right", min_width=count_width)
    table.add_column("%", justify="right", min_width=6)
    table.add_column("", min_width=bar_width, max_width=bar_width, no_wrap=True)
    for b in dim.buckets:
        style = _style(dim.name, b.value)
        table.add_row(
            Text(ellipsize(b.value, value_width), style=style if dim.name == "status" else ""),
            _int(b.count),
            _pct(b.percent),
            Text(bar(b.percent / 100, bar_width), style=style),
        )
    return table


def _comparison_headline(cmp: Comparison) -> RenderableType:
    from rich.table import Table

    old, new = cmp.old, cmp.new
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    table.add_column("")
    table.add_column("before", justify="right")
    table.add_column("now", justify="right")
    table.add_column("change", justify="right")
    for label, o, n in (
        ("rows", old.rows, new.rows),
        ("distinct", old.distinct, new.distinct),
        ("with result", old.with_result, new.with_result),
        ("pending", old.pending, new.pending),
        ("failed", old.failed, new.failed),
    ):
        table.add_row(f"[bold]{label}[/]", _int(o), _int(n), _signed(n - o))
    if old.uncertain or new.uncertain:
        ou, nu = old.uncertain, new.uncertain
        table.add_row(
            "[bold]uncertain[/]",
            "—" if ou is None else _int(ou),
            "—" if nu is None else _int(nu),
            "" if ou is None or nu is None else _signed(nu - ou),
        )
    oc, nc = old.cost, new.cost
    delta = f"{nc - oc:+.4f}".replace("-", "−") if oc is not None and nc is not None else ""
    table.add_row("[bold]cost[/]", old.cost_text(), new.cost_text(), delta)
    if old.maybe_text() or new.maybe_text():
        table.add_row("[bold]maybe billed[/]", old.maybe_text() or "none", new.maybe_text() or "none", "")
    return table


def _change_table(dc: DimensionChange, width: int) -> RenderableType:
    from rich.table import Table
    from rich.text import Text

    value_width = min(VALUE_WIDTH, max([len(dc.title), *(len(c.value) for c in dc.changes)]))
    table = Table(box=None, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    table.add_column(dc.title, min_width=value_width, max_width=value_width, no_wrap=True, overflow="ellipsis")
    for title in ("before", "now", "change", "before %", "now %", "pp"):
        table.add_column(title, justify="right", no_wrap=True)
    for c in dc.changes:
        pp = _pp(c.delta_pp)
        arrow = "▲ " if pp.startswith("+") else "▼ " if pp.startswith("−") else "  "
        table.add_row(
            Text(ellipsize(c.value, value_width), style=_style(dc.name, c.value) if dc.name == "status" else ""),
            _int(c.old),
            _int(c.new),
            _signed(c.delta),
            _pct(c.old_percent),
            _pct(c.new_percent),
            Text(arrow + pp, style="bold" if abs(c.delta_pp) >= 1 else _MUTED_STYLE),
        )
    return table


def render(report: Report | Comparison, console: Console) -> None:
    """Headline figures, then one table per dimension with a bar per value; fits the console's width (≥ 60)."""
    from rich.rule import Rule

    width = min(console.width, 100)
    if isinstance(report, Comparison):
        console.print(_comparison_headline(report))
        for dc in report.dimensions:
            console.print(Rule(style=_MUTED_STYLE), width=width)
            console.print(_change_table(dc, width))
        return
    console.print(_headline(report))
    for dim in report.dimensions:
        console.print(Rule(style=_MUTED_STYLE), width=width)
        console.print(_dimension_table(dim, width))


# Every notice on stderr starts with this (`Ctx.notice`); the breakdown's lines are notices.
NOTICE_PREFIX = "hlrcli: "
SHORT_NAME = 8  # a breakdown item's name is never shortened below this (with its "…")


def terminal_width(stream: Any = None) -> int:
    """The columns of the terminal on `stream` (default stderr, where notices go: stdout is often a file):
    $COLUMNS when set, as everywhere else; else the terminal's; else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size((stream or sys.stderr).fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 80


def breakdown_lines(report: Report, width: int | None = None, *, prefix: int = len(NOTICE_PREFIX)) -> list[str]:
    """Three lines for the end of a batch: status counts, top 3 current networks, cost. Plain text, no markup.

    `width` is the terminal's (default: `terminal_width()`); each line fits in `width - prefix`, what is left
    once the notice prefix is printed before it, so nothing wraps. An NT job's first line counts number types
    instead: OK/FAILED says little about a number-type lookup.
    """
    room = max(1, (terminal_width() if width is None else width) - prefix)
    first = "status"
    if report.has("number_type") and any(b.value != NONE_LABEL for b in report.dimension("number_type").buckets):
        first = "number_type"
    lines = [_breakdown(report, first, "status" if first == "status" else "types", None, room)]
    lines.append(_breakdown(report, "network", "networks", 3, room))
    lines.append(_cost_line(report, room))
    # Only a terminal narrower than any sensible line gets here: cut rather than wrap.
    return [ellipsize(line, room) for line in lines]


def _cost_line(report: Report, room: int) -> str:
    if not report.costs:
        return "cost: none recorded"
    line = f"cost: {report.cost_text()}"
    if report.cost is not None and report.with_result:
        per = f" ({_int(report.with_result)} results, {report.cost / report.with_result:.4f} per result)"
        # The per-result figure is the first thing to go where the total alone fits.
        if len(line) + len(per) <= room:
            line += per
    return line


def _breakdown(report: Report, name: str, title: str, limit: int | None, room: int) -> str:
    if not report.has(name):
        return f"{title}: —"
    buckets = [b for b in report.dimension(name).buckets if b.count and b.value != NONE_LABEL]
    if limit is not None:
        buckets = [b for b in buckets if not b.value.startswith("other (")][:limit]
    if not buckets:
        return f"{title}: —"

    def more(rest: int) -> str:
        return f" · +{rest} more" if rest else ""

    # The first item always shows, count and share whole: its name gives way first (down to SHORT_NAME), then
    # the "+N more" after it.
    head, share = f"{title}: {_int(buckets[0].count)} ", f" ({_pct(buckets[0].percent)})"
    name = buckets[0].value
    shortest = min(len(name), SHORT_NAME)
    fit = room - len(head) - len(share) - len(more(len(buckets) - 1))
    if fit < shortest:
        fit = max(shortest, room - len(head) - len(share))
    line = head + ellipsize(name, min(24, fit)) + share
    parts = [f"{_int(b.count)} {ellipsize(b.value, 24)}" for b in buckets[1:]]
    # Whole items only: a count cut in half reads as a different count.
    for i, part in enumerate(parts):
        rest = len(parts) - i - 1
        if len(line) + 3 + len(part) + len(more(rest)) > room:
            tail = more(len(parts) - i)
            return line + tail if len(line) + len(tail) <= room else line
        line += f" · {part}"
    return line
