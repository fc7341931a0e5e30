"""`hlrcli report JOB`: what a job's results look like as a whole, on a terminal, as data, or as one HTML file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hlrcli.cli.common import Ctx, command
from hlrcli.cli.jobs import JobArg, _complete_job
from hlrcli.errors import UsageError

if TYPE_CHECKING:
    from hlrcli.batch.report import Report

app = typer.Typer()
HTML_SUFFIXES = (".html", ".htm")


@command(app, "report", uses=("data",))
def report(
    ctx: Ctx,
    name: JobArg,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="dimensions: status, network, original_network, country, ported, roaming, "
            "number_type, error [default: those the results have]",
            metavar="A,B",
        ),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help="an earlier job: the same dimensions side by side, with the change",
            metavar="OLD_JOB",
            autocompletion=_complete_job,
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="also write one self-contained HTML page (charts, figures, options)", metavar="FILE"
        ),
    ] = None,
) -> None:
    """Counts and percentages by status, network, country, porting, roaming, number type and error, plus cost.

    On a terminal: the headline figures and tables with bars. Piped or with -f csv|json|ndjson: the headline
    figures as rows (dimension total, then cost), then one row per (dimension, value). -o FILE.html writes the
    HTML page instead (as --html FILE, with nothing else printed).
    """
    from hlrcli.batch.report import compare, table_rows
    from hlrcli.batch.report_text import render
    from hlrcli.output import Format, open_output

    page_to = html
    data = True
    if ctx.output is not None and Path(ctx.output).suffix.lower() in HTML_SUFFIXES:
        # `-o report.html` can only mean the page: the data formats have their own extensions.
        if html is not None:
            raise UsageError(f"-o {ctx.output} is the HTML page already: give --html FILE or -o FILE.html, not both")
        if ctx.fmt_flag is not None:
            raise UsageError(
                f"-o {ctx.output} writes the HTML page, not {ctx.fmt_flag.value}: "
                f"give -o FILE.{ctx.fmt_flag.value} for the data, --html FILE for the page"
            )
        page_to, data = ctx.output, False

    jobs = ctx.jobs()
    current, old, meta = jobs.report(name, by, against)
    current = _journaled(current, jobs.show(name))
    if old is not None and against is not None:
        old = _journaled(old, jobs.show(against))
    result = compare(old, current) if old is not None else current
    if page_to is not None:
        from hlrcli.batch.report_html import page

        with open_output(page_to, None) as fh:
            fh.write(page(current, meta, against=old))
        ctx.notice(f"wrote {page_to}")
    if not data:
        return
    if ctx.fmt is Format.table:
        from rich.console import Console

        with open_output(ctx.output, ctx.stdout) as stream:
            render(result, Console(file=stream, no_color=None, soft_wrap=False))
        return
    ctx.emit(table_rows(result))


def _journaled(report: Report, job: Mapping[str, Any]) -> Report:
    """The report with the figures only the job's journal has: uncertain numbers and what they may have cost."""
    return report.with_journal(int(job.get("uncertain") or 0), job.get("maybe_billed"))
