"""`hlrcli jobs`: list, inspect, export, poll, prune and delete the jobs in the local store."""

from __future__ import annotations

from typing import Annotated

import typer

from hlrcli.cli.common import Ctx, command, finish, make_ctx
from hlrcli.errors import ExitCode

UNMATCHED = "unmatched"  # the store's name for results with no known job (not imported: --help stays fast)

app = typer.Typer(help="Batch jobs in the local store: list, show, results, poll, diff, prune, delete.")


def _complete_job(incomplete: str) -> list[str]:
    try:
        return make_ctx().jobs().names(incomplete)
    except Exception:  # completing must never fail loudly
        return []


JobArg = Annotated[
    str,
    typer.Argument(help="job name (see `hlrcli jobs list`)", show_default=False, metavar="JOB",
                   autocompletion=_complete_job),
]  # fmt: skip
LIST_COLUMNS = [
    "name", "provider", "type", "mode", "state", "created", "rows", "distinct", "submitted", "results", "pending",
    "uncertain", "failed", "cost", "maybe_billed",
]  # fmt: skip


@command(app, "list", uses=("data",))
def list_jobs(ctx: Ctx) -> None:
    """Every job: provider, type, state (awaiting results while any are due), rows, results, pending, cost."""
    ctx.emit(
        ctx.jobs().listing(),
        columns=LIST_COLUMNS,
        # What a terminal shows first when it is narrow: the columns on the right give way first.
        summary=["name", "state", "rows", "results", "pending", "cost", "provider", "type", "mode"],
    )


@command(app, "names", uses=(), hidden=True)
def names(ctx: Ctx, prefix: Annotated[str, typer.Argument(metavar="PREFIX")] = "") -> None:
    """Job names, one per line (for shell completion)."""
    for name in ctx.jobs().names(prefix):
        print(name, file=ctx.stdout)


@command(app, "show", uses=("data",))
def show(
    ctx: Ctx,
    name: JobArg,
    chunks: Annotated[bool, typer.Option("--chunks", help="list the job's chunks (async) instead")] = False,
) -> None:
    """A job's options, counts per state, chunk states (uncertain ones included) and cost (billed and maybe)."""
    jobs = ctx.jobs()
    if chunks:
        ctx.emit(jobs.chunks(name), columns=["seq", "state", "size", "cost", "maybe_billed", "receipt", "error",
                                            "updated"])  # fmt: skip
        return
    ctx.emit([jobs.show(name)])


@command(app, "diff", uses=("data",))
def diff(ctx: Ctx, old: JobArg, new: JobArg) -> None:
    """What changed between two runs of a list: status, current network, ported or roaming per number; numbers
    that became invalid or absent; new and dropped numbers. The counts come first (stderr on a terminal)."""
    from hlrcli.output import Format

    d = ctx.jobs().diff(old, new)
    if ctx.fmt is Format.table:
        from rich.console import Console

        from hlrcli.batch.diff import render

        render(d, Console(file=ctx.stdout, soft_wrap=False))
        return
    summary = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in d.summary().items() if v)
    ctx.notice(f"{old} → {new}: {summary}")
    from hlrcli.batch.diff import COLUMNS

    ctx.emit(d.rows(), columns=list(COLUMNS))


@command(app, "prune", uses=())
def prune(
    ctx: Ctx,
    older_than: Annotated[
        str, typer.Option("--older-than", help="age with a unit, e.g. 30d, 12h, 2w", metavar="DURATION")
    ] = "30d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be removed; remove nothing")] = False,
    force: Annotated[bool, typer.Option("--force", help="also remove jobs still awaiting paid results")] = False,
) -> None:
    """Delete jobs (and unmatched results) not touched for longer than --older-than.

    A running job, or one still awaiting paid results, is kept unless --force.
    """
    from hlrcli.config import parse_duration

    removed, kept = ctx.jobs().prune(parse_duration(older_than, what="--older-than"), dry_run=dry_run, force=force)
    verb = "would remove" if dry_run else "removed"
    ctx.warn(f"{verb} {len(removed)} job(s)" + (f": {', '.join(removed)}" if removed else ""))
    for line in kept:
        ctx.warn(f"kept {line}")


@command(app, "delete", uses=())
def delete(
    ctx: Ctx,
    name: JobArg,
    force: Annotated[bool, typer.Option("--force", help="delete even if paid results are still awaited")] = False,
) -> None:
    """Delete one job and its journal (results already received stay, as unmatched)."""
    ctx.jobs().delete(name, force=force)
    ctx.notice(f"deleted job {name}")


@command(app, "poll", uses=("http",))
def poll(
    ctx: Ctx,
    name: JobArg,
    rate: Annotated[str | None, typer.Option("--rate", help="request pace, e.g. 120/min", metavar="N/UNIT")] = None,
) -> None:
    """Fetch the results still awaited from the provider (affiliate: GET /hlr/{id}); safe to repeat."""
    from hlrcli.cli.batch import parse_rate

    arrived, waiting = ctx.jobs().poll(name, parse_rate(rate))
    ctx.notice(f"{arrived} new result(s); {waiting} still awaited")


@command(app, "results", uses=("data", "http"))
def results(
    ctx: Ctx,
    name: JobArg,
    wait: Annotated[bool, typer.Option("--wait", help="block until no result is awaited (or --timeout)")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="seconds to wait with --wait", min=0, metavar="SECONDS")
    ] = 600,
    interval: Annotated[
        float, typer.Option("--interval", help="seconds between checks with --wait", min=0.05, metavar="SECONDS")
    ] = 2.0,
    partial: Annotated[
        bool, typer.Option("--partial", help="with --wait: write -o even if results are still awaited")
    ] = False,
) -> None:
    """The job's input rows, in order, joined with their results (rows still awaited say PENDING).

    With --wait and -o, the file is written only once nothing is awaited (or with --partial).
    """
    jobs = ctx.jobs()
    if name == UNMATCHED:
        ctx.emit(jobs.unmatched(), columns=["provider", "kind", "msisdn", "received", "result"])
        return
    from hlrcli.output import check_table_size

    with jobs.exporting(name) as export:
        waiting = export.wait(timeout, interval) if wait else 0
        if wait and waiting and ctx.output is not None and not partial:
            ctx.warn(f"{waiting} result(s) still awaited after {timeout:g} s; {ctx.output} not written "
                     "(--partial writes it with PENDING rows)")  # fmt: skip
            finish(ExitCode.FAILURE)
        check_table_size(ctx.fmt, export.job.rows)
        ctx.emit(export.rows(), columns=export.columns)
    if wait and waiting:
        ctx.warn(f"{waiting} result(s) still awaited after {timeout:g} s")
        finish(ExitCode.FAILURE)
