"""`hlrcli report JOB`: what a job's results look like as a whole, on a terminal, as data, or as one HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hlrcli.cli.common import Ctx, command
from hlrcli.cli.jobs import JobArg, _complete_job

app = typer.Typer()


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

    On a terminal: tables with bars. Piped or with -f csv|json|ndjson: one row per (dimension, value).
    """
    from hlrcli.batch.report import compare, render, table_rows
    from hlrcli.output import Format, open_output

    current, old, meta = ctx.jobs().report(name, by, against)
    result = compare(old, current) if old is not None else current
    if html is not None:
        from hlrcli.batch.report_html import page

        with open_output(html, None) as fh:
            fh.write(page(current, meta, against=old))
        ctx.notice(f"wrote {html}")
    if ctx.fmt is Format.table:
        from rich.console import Console

        with open_output(ctx.output, ctx.stdout) as stream:
            render(result, Console(file=stream, no_color=None, soft_wrap=False))
        return
    ctx.emit(table_rows(result))
