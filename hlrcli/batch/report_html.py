"""A report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched; opens offline, mails.

Every value that reaches the page (numbers, network names, error texts, job options) came from input or from a
provider, so every one goes through `html.escape`, in text and in attributes alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from html import escape
from typing import Any

from hlrcli import __version__
from hlrcli.batch.report import (
    NONE_LABEL,
    Bucket,
    Change,
    Report,
    compare,
    ellipsize,
)
from hlrcli.batch.report_text import _int, _pct
from hlrcli.models import ABSENT, CONNECTED, INVALID_MSISDN, PENDING, UNDETERMINED

# CSS class per status; any other value gets the neutral bar colour. Fixed names, never derived from input.
STATUS_CLASSES = {
    CONNECTED: "st-connected",
    ABSENT: "st-absent",
    INVALID_MSISDN: "st-invalid",
    UNDETERMINED: "st-undetermined",
    PENDING: "st-pending",
    "FAILED": "st-failed",
    "OK": "st-connected",
}

# Chart geometry (SVG user units; the chart scales to its column, so these are proportions, ~1:1 on a laptop).
WIDTH = 520
LABEL_WIDTH = 170
# The value column is sized for the longest "1,234 12.3% +0.4 pp" of the page, so every chart's track has the
# same length and the cards line up; this is an average glyph width at 13px, bold digits included.
CHAR_WIDTH = 7.6
ROW = 26
BAR = 14
LABEL_CHARS = 24

CSS = """
:root {
  --ink: #1f2933; --muted: #5f6b7a; --faint: #8a96a3; --line: #e3e7ec; --track: #edf0f4; --page: #f5f6f8;
  --card: #ffffff; --bar: #3e6fb0; --connected: #2e9b5a; --absent: #e0a21b; --invalid: #d64545;
  --undetermined: #9aa5b1; --pending: #7fa9dd; --failed: #9b2c2c; --other: #c3cbd4;
}
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { font-size: 15px; }
body {
  margin: 0; background: var(--page); color: var(--ink); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
    "Liberation Sans", sans-serif;
  font-variant-numeric: tabular-nums;
}
main { max-width: 1180px; margin: 0 auto; padding: 32px 28px 40px; }
header { margin-bottom: 24px; }
.eyebrow { margin: 0 0 4px; color: var(--muted); font-size: .8rem; letter-spacing: .08em; text-transform: uppercase; }
h1 { margin: 0; font-size: 1.75rem; font-weight: 650; letter-spacing: -.01em; overflow-wrap: anywhere; }
.sub { margin: 6px 0 0; color: var(--muted); }
.sub span + span::before { content: "·"; margin: 0 .5em; color: var(--faint); }
h2 { margin: 0; font-size: 1rem; font-weight: 620; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin: 0 0 14px; }
.figure, .chart, .panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
.figure { padding: 14px 16px; }
.figure .label { display: block; color: var(--muted); font-size: .8rem; }
.figure .num { display: block; font-size: 1.6rem; font-weight: 640; letter-spacing: -.01em; white-space: nowrap; }
.figure .num small { font-size: .9rem; font-weight: 500; color: var(--muted); }
.figure .note { display: block; color: var(--muted); font-size: .8rem; }
.strip { margin: 0 0 24px; }
.strip svg { display: block; width: 100%; height: 12px; border-radius: 6px; overflow: hidden; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0 0; padding: 0; list-style: none;
  color: var(--muted); font-size: .85rem; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 480px), 1fr)); gap: 16px;
  align-items: start; }
.chart { margin: 0; padding: 16px 18px 10px; break-inside: avoid; }
.chart figcaption { display: flex; justify-content: space-between; align-items: baseline; margin-bottom: 8px; }
.chart figcaption span { color: var(--faint); font-size: .8rem; }
.chart svg { display: block; width: 100%; height: auto; overflow: visible; }
.chart text { font-size: 13px; fill: var(--ink); }
.chart text.value { fill: var(--muted); }
.chart text.value .n { fill: var(--ink); font-weight: 600; }
.chart text.muted { fill: var(--muted); }
.chart .good { fill: #1d7a45; } .chart .bad { fill: #b03030; } .chart .shift { fill: var(--ink); }
.track { fill: var(--track); }
.bar, .seg { fill: var(--bar); }
.st-connected { fill: var(--connected); background: var(--connected); }
.st-absent { fill: var(--absent); background: var(--absent); }
.st-invalid { fill: var(--invalid); background: var(--invalid); }
.st-undetermined { fill: var(--undetermined); background: var(--undetermined); }
.st-pending { fill: var(--pending); background: var(--pending); }
.st-failed { fill: var(--failed); background: var(--failed); }
.muted-bar { fill: var(--other); }
.ref { fill: var(--ink); }
.details { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 360px), 1fr)); gap: 16px;
  margin-top: 24px; }
.panel { padding: 16px 18px; }
.panel h2 { margin-bottom: 10px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
dd code, td code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .9em; }
.empty { color: var(--faint); }
footer { margin-top: 28px; color: var(--faint); font-size: .8rem; }
@media (max-width: 600px) {
  main { padding: 18px 10px; } h1 { font-size: 1.4rem; }
  .figures { grid-template-columns: 1fr 1fr; gap: 8px; }
  .chart { padding: 12px 10px 6px; }
}
@media print {
  html { font-size: 12px; }
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  .charts, .details { grid-template-columns: 1fr 1fr; }
  .figure, .chart, .panel { border-color: #cfd5dc; }
  @page { margin: 14mm; }
}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _pp(p: float) -> str:
    text = f"{p:+.1f}"
    return "±0.0 pp" if text in ("+0.0", "-0.0") else text.replace("-", "−") + " pp"


def _share(n: int, total: int) -> float:
    return 100.0 * n / total if total else 0.0


def _bar_class(dimension: str, value: str) -> str:
    if value == NONE_LABEL or value.startswith("other ("):
        return "bar muted-bar"
    if dimension == "status" and value in STATUS_CLASSES:
        return f"bar {STATUS_CLASSES[value]}"
    return "bar"


def _format_meta(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _meta_get(meta: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if meta.get(name) not in (None, ""):
            return meta[name]
    return None


# Headline --------------------------------------------------------------------------------------------------------
def _figure(label: str, number: str, notes: Sequence[str] = (), unit: str = "") -> str:
    unit_html = f" <small>{_e(unit)}</small>" if unit else ""
    notes_html = "".join(f'<span class="note">{_e(note)}</span>' for note in notes if note)
    return (
        f'<div class="figure"><span class="label">{_e(label)}</span>'
        f'<span class="num">{_e(number)}{unit_html}</span>{notes_html}</div>'
    )


def money(amount: Decimal) -> str:
    """`970.43`, `0.002`, `1,234.5678`: four decimals at most (what providers price in), two at least."""
    text = f"{amount:,.4f}"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


def _was(old: int, new: int) -> str:
    d = new - old
    return f"was {_int(old)} ({'+' if d > 0 else '−' if d < 0 else '±'}{_int(abs(d))})"


def _figures(report: Report, against: Report | None) -> str:
    rows = report.rows

    def notes(n: int, old: int | None) -> list[str]:
        share = f"{_pct(_share(n, rows))} of rows"
        if against is None or old is None:
            return [share]
        pct = _pct(_share(n, rows))
        return [f"{pct} ({_pp(_share(n, rows) - _share(old, against.rows))})", f"was {_int(old)}"]

    def was(new: int, old: int | None) -> list[str]:
        return [] if old is None else [_was(old, new)]

    distinct = _int(report.distinct) if report.distinct_exact else f"≈ {_int(report.distinct)}"
    cost = report.cost
    maybe = report.maybe_text()
    cost_notes = [_cost_note(report, against), f"+ maybe billed {maybe}" if maybe else ""]
    if cost is not None:
        cost_figure = _figure("Cost", money(cost), cost_notes, report.currency or "")
    else:
        cost_figure = _figure("Cost", report.cost_text(), cost_notes)
    parts = [
        _figure("Rows", _int(rows), was(rows, against.rows if against else None)),
        _figure("Distinct numbers", distinct, was(report.distinct, against.distinct if against else None)),
        _figure(
            "With result", _int(report.with_result), notes(report.with_result, against.with_result if against else None)
        ),
        _figure("Pending", _int(report.pending), notes(report.pending, against.pending if against else None)),
        _figure("Failed", _int(report.failed), notes(report.failed, against.failed if against else None)),
    ]
    if report.uncertain or (against is not None and against.uncertain):
        # Only where the journal has some: sent, no usable answer, may have been billed (and still awaited).
        uncertain = report.uncertain or 0
        before = against.uncertain if against is not None else None
        parts.append(_figure("Uncertain", _int(uncertain), [*notes(uncertain, before), "may have been billed"]))
    parts.append(cost_figure)
    return f'<section class="figures" aria-label="Headline figures">{"".join(parts)}</section>'


def _cost_note(report: Report, against: Report | None) -> str:
    cost = report.cost
    if against is not None:
        return f"was {against.cost_text() if against.cost is None else money(against.cost)}"
    if cost is not None and report.with_result:
        return f"{money(cost / report.with_result)} per result"
    return ""


def _strip(report: Report) -> str:
    """The status mix as one stacked bar under the figures: the page's answer at a glance."""
    if not report.has("status") or not report.rows:
        return ""
    buckets = [b for b in report.dimension("status").buckets if b.count]
    x = 0.0
    segs, legend = [], []
    for b in buckets:
        width = 1000.0 * b.count / report.rows
        cls = _bar_class("status", b.value).replace("bar", "seg", 1)
        segs.append(
            f'<rect class="{cls}" x="{x:.2f}" y="0" width="{width:.2f}" height="12">'
            f"<title>{_e(b.value)}: {_int(b.count)} ({_pct(b.percent)})</title></rect>"
        )
        legend.append(
            f'<li><i class="{cls.replace("seg", "", 1).strip() or "bar"}"></i>{_e(b.value)} {_e(_pct(b.percent))}</li>'
        )
        x += width
    return (
        '<section class="strip" aria-label="Status mix">'
        '<svg viewBox="0 0 1000 12" preserveAspectRatio="none" role="img" aria-label="Status mix">'
        f"{''.join(segs)}</svg>"
        f'<ul class="legend">{"".join(legend)}</ul></section>'
    )


# Charts ----------------------------------------------------------------------------------------------------------
# For statuses a change has a direction: more CONNECTED is good news, more of anything else is not. Elsewhere
# (networks, countries) a shift is just a shift, and is not coloured as if it were.
_GOOD_STATUSES = frozenset({CONNECTED, "OK"})


def _delta_class(dimension: str, value: str, delta: float) -> str:
    if abs(delta) < 0.05:
        return "muted"
    if dimension != "status":
        return "shift"
    return "good" if (delta > 0) == (value in _GOOD_STATUSES) else "bad"


def _value_text(count: int, percent: float, x: float, y: float, delta: float | None = None, cls: str = "") -> str:
    extra = ""
    if delta is not None:
        extra = f'<tspan class="{cls}" dx="8">{_e(_pp(delta))}</tspan>'
    return (
        f'<text class="value" x="{x:.1f}" y="{y:.1f}" text-anchor="end">'
        f'<tspan class="n">{_e(_int(count))}</tspan><tspan dx="6">{_e(_pct(percent))}</tspan>{extra}</text>'
    )


Item = tuple[str, int, float, float | None]  # value, count, percent, the earlier run's percent (or None)


def _value_chars(item: Item) -> int:
    _, count, percent, old = item
    return len(_int(count)) + 1 + len(_pct(percent)) + (0 if old is None else 1 + len(_pp(percent - old)))


def _chart(name: str, title: str, items: Sequence[Item], note: str, value_width: float) -> str:
    """`items`: (value, count, percent, earlier percent or None). Bars are drawn to scale, 100 % = full track."""
    track_x = LABEL_WIDTH
    track_w = WIDTH - LABEL_WIDTH - value_width
    height = max(1, len(items)) * ROW + 4
    out = [
        f'<figure class="chart" id="dim-{_e(name)}"><figcaption><h2>{_e(title)}</h2><span>{_e(note)}</span>'
        f'</figcaption><svg viewBox="0 0 {WIDTH} {height}" data-dimension="{_e(name)}" role="img" '
        f'aria-label="{_e(title)}">'
    ]
    if not items:
        out.append(f'<text class="muted" x="0" y="{ROW * 0.65:.1f}">no rows</text>')
    for i, (value, count, percent, old) in enumerate(items):
        y = i * ROW + 4
        mid = y + BAR / 2 + 4.5  # text baseline: optically centred on the bar
        width = track_w * percent / 100
        if count and width < 2:
            width = 2  # a non-zero share stays visible
        tip = f"{value}: {_int(count)} rows ({_pct(percent)})"
        if old is not None:
            tip += f", before {_pct(old)}"
        out.append(f'<text x="0" y="{mid:.1f}">{_e(ellipsize(value, LABEL_CHARS))}<title>{_e(value)}</title></text>')
        out.append(f'<rect class="track" x="{track_x}" y="{y}" width="{track_w}" height="{BAR}" rx="3"/>')
        out.append(
            f'<rect class="{_bar_class(name, value)}" x="{track_x}" y="{y}" width="{width:.2f}" height="{BAR}" '
            f'rx="3"><title>{_e(tip)}</title></rect>'
        )
        if old is not None:
            # The earlier run's share: a thin tick across the bar, so a shift reads without a second bar.
            ox = track_x + track_w * old / 100
            out.append(
                f'<rect class="ref" x="{min(ox, track_x + track_w - 2):.2f}" y="{y - 3}" width="2" '
                f'height="{BAR + 6}"><title>before: {_e(_pct(old))}</title></rect>'
            )
        delta = None if old is None else percent - old
        cls = "" if delta is None else _delta_class(name, value, delta)
        out.append(_value_text(count, percent, WIDTH, mid, delta, cls))
    out.append("</svg></figure>")
    return "".join(out)


def _charts(report: Report, against: Report | None) -> str:
    charts: list[tuple[str, str, list[Item], str]] = []
    if against is None:
        for dim in report.dimensions:
            items: list[Item] = [(b.value, b.count, b.percent, None) for b in dim.buckets]
            charts.append((dim.name, dim.title, items, _values_note(dim.buckets, report.rows)))
    else:
        for dc in compare(against, report).dimensions:
            items = [(c.value, c.new, c.new_percent, c.old_percent) for c in dc.changes]
            charts.append((dc.name, dc.title, items, f"{len(dc.changes)} values · | marks the earlier run"))
    chars = max((_value_chars(item) for *_, items, _ in charts for item in items), default=10)
    value_width = round(20 + chars * CHAR_WIDTH)
    return "".join(_chart(name, title, items, note, value_width) for name, title, items, note in charts)


def _values_note(buckets: Iterable[Bucket | Change], rows: int) -> str:
    n = sum(getattr(b, "values", 1) for b in buckets)
    return f"{_int(n)} value{'s' if n != 1 else ''} · {_int(rows)} rows"


# Job details -----------------------------------------------------------------------------------------------------
_META_FIELDS = (
    ("Job", ("job", "name")),
    ("Provider", ("provider",)),
    ("Lookup type", ("type", "lookup", "kind")),
    ("Mode", ("mode",)),
    ("Input file", ("input", "input_file", "file")),
    ("Created", ("created", "created_at")),
    ("Updated", ("updated", "updated_at")),
)
_META_KEYS = {key for _, keys in _META_FIELDS for key in keys} | {"options"}


def _details(meta: Mapping[str, Any], generated: str) -> str:
    job_rows = []
    for label, keys in _META_FIELDS:
        value = _meta_get(meta, *keys)
        if value is not None:
            job_rows.append((label, _format_meta(value)))
    for key, value in meta.items():
        if key not in _META_KEYS:
            job_rows.append((str(key), _format_meta(value)))
    job_rows.append(("Report generated", generated))
    job_html = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in job_rows)
    options = meta.get("options") or {}
    if isinstance(options, Mapping) and options:
        opt_html = "<dl>" + "".join(
            f"<dt><code>{_e(k)}</code></dt><dd><code>{_e(_format_meta(v))}</code></dd>" for k, v in options.items()
        )
        opt_html += "</dl>"
    elif options:
        opt_html = f"<p><code>{_e(_format_meta(options))}</code></p>"
    else:
        opt_html = '<p class="empty">none recorded</p>'
    return (
        '<section class="details">'
        f'<div class="panel"><h2>Job</h2><dl>{job_html}</dl></div>'
        f'<div class="panel"><h2>Options</h2>{opt_html}</div>'
        "</section>"
    )


# Page ------------------------------------------------------------------------------------------------------------
def page(
    report: Report,
    meta: Mapping[str, Any],
    against: Report | None = None,
    *,
    generated: datetime | None = None,
) -> str:
    """The whole page. `meta`: job, provider, type, mode, input, created, updated, options (a dict) — any
    missing is left out, unknown keys are listed with the job. `against`: an earlier run, shown as markers on
    every bar and changes beside every figure."""
    when = (generated or datetime.now(timezone.utc)).astimezone(timezone.utc)
    generated_text = when.strftime("%Y-%m-%d %H:%M UTC")
    job = _format_meta(_meta_get(meta, "job", "name") or "results")
    kind = _meta_get(meta, "type", "lookup", "kind")
    kind_text = str(kind).upper() if kind else "Lookup"
    sub = [
        _meta_get(meta, "provider"),
        f"{kind_text} lookups" if kind else None,
        f"{_meta_get(meta, 'mode')} mode" if _meta_get(meta, "mode") else None,
        _meta_get(meta, "input", "input_file", "file"),
    ]
    sub_html = "".join(f"<span>{_e(_format_meta(s))}</span>" for s in sub if s)

    charts = _charts(report, against)
    basis = "" if against is None else f"Compared with an earlier run of {_int(against.rows)} rows: | marks its share."
    title = f"{job} · hlrcli {kind_text} report"
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="hlrcli {_e(__version__)}">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body><main>"
        f'<header><p class="eyebrow">hlrcli · {_e(kind_text)} report</p><h1>{_e(job)}</h1>'
        f'<p class="sub">{sub_html}</p></header>'
        f"{_figures(report, against)}{_strip(report)}"
        f'<section class="charts">{charts}</section>'
        f"{_details(meta, generated_text)}"
        f"<footer>Generated by hlrcli {_e(__version__)} on {_e(generated_text)}. Percentages are shares of all "
        f"{_e(_int(report.rows))} rows. {_e(basis)}</footer>"
        "</main></body></html>\n"
    )
