"""`hlrcli batch`: a CSV (or stdin) in, every row back enriched, nothing lost, nothing paid twice."""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Annotated

import typer

from hlrcli.cli.common import CountryOpt, Ctx, command, finish
from hlrcli.errors import ExitCode, UsageError

app = typer.Typer()


class Kind(str, Enum):
    hlr = "hlr"
    mnp = "mnp"
    nt = "nt"


class Mode(str, Enum):
    sync = "sync"
    async_ = "async"


def parse_rate(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|m|min|h|hour))?\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError("--rate looks like 300/min, 5/s or 1000/h")
    per = {"s": 60, "sec": 60, "h": 1 / 60, "hour": 1 / 60}.get(m.group(2) or "min", 1)
    return float(m.group(1)) * per


def _money(value: float | None) -> float | None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise typer.BadParameter("must be a finite amount of EUR, 0 or more")
    return value


@command(app, "batch")
def batch(
    ctx: Ctx,
    source: Annotated[str, typer.Argument(help="CSV file, or - for stdin", show_default=False, metavar="FILE|-")],
    kind: Annotated[
        Kind | None, typer.Option("--type", "-t", help="lookup type [default: hlr; with --resume: the job's]")
    ] = None,
    column: Annotated[
        str | None, typer.Option("--column", help="column holding the numbers (name or 1-based)", metavar="COLUMN")
    ] = None,
    country: CountryOpt = None,
    mode: Annotated[
        Mode | None, typer.Option("--mode", help="sync or async [default: sync where the provider can]")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-j", help="parallel requests (sync) [default: 8]", min=1, max=256)
    ] = None,
    rate: Annotated[str | None, typer.Option("--rate", help="request pace, e.g. 300/min", metavar="N/UNIT")] = None,
    job: Annotated[
        str | None, typer.Option("--job", help="job name [default: from input content and options]", metavar="NAME")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue a job: nothing already sent is sent again")
    ] = False,
    again: Annotated[
        bool, typer.Option("--again", help="look a finished job's numbers up again, paying again (asks first)")
    ] = False,
    resubmit_uncertain: Annotated[
        bool,
        typer.Option("--resubmit-uncertain", help="also resend requests whose answer was lost (may pay twice)"),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count and estimate the cost; send nothing")] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost", help="refuse or stop when the cost (EUR) would exceed this", callback=_money, metavar="EUR"
        ),
    ] = None,
    max_age: Annotated[
        str | None,
        typer.Option(
            "--max-age",
            help="reuse a result of the same provider and type younger than this (e.g. 30d) "
            "from any job instead of paying [HLRCLI_MAX_AGE]",
            metavar="DURATION",
        ),
    ] = None,
    give_up_after: Annotated[
        str | None,
        typer.Option(
            "--give-up-after",
            help="how long rate limiting (HTTP 429) is waited out before a row is given up [HLRCLI_GIVE_UP_AFTER: 15m]",
            metavar="DURATION",
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="no confirmation questions")] = False,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="the input's encoding [default: UTF-8, else detected]")
    ] = None,
    excel: Annotated[bool, typer.Option("--excel", help="CSV for Excel: UTF-8 with BOM, ; separated")] = False,
    route: Annotated[str | None, typer.Option("--route", help="hlrlookups route id")] = None,
    storage: Annotated[str | None, typer.Option("--storage", help="hlrlookups storage name")] = None,
    notify_url: Annotated[str | None, typer.Option("--notify-url", help="smspartner notifyUrl", metavar="URL")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="smspartner tag")] = None,
    tariff: Annotated[int | None, typer.Option("--tariff", help="affiliate tariff 0-9", min=0, max=9)] = None,
    callback_url: Annotated[
        str | None, typer.Option("--callback-url", help="affiliate callback_url", metavar="URL")
    ] = None,
) -> None:
    """Look up every number of a CSV file or stdin; write every row back, enriched, in input order.

    Paid providers journal each job (HLRCLI_HOME/jobs.sqlite3): `--resume` continues after a crash or Ctrl-C
    without paying twice, and running a finished job again re-exports it for free. The offline provider
    streams with no journal.
    """
    from hlrcli.batch.service import BatchRequest
    from hlrcli.config import parse_duration
    from hlrcli.numbers import check_country

    age = max_age or ctx.settings.get("HLRCLI_MAX_AGE")
    if give_up_after is not None:
        ctx.give_up_after = parse_duration(give_up_after, what="--give-up-after")
    request = BatchRequest(
        source=source,
        kind=kind.value if kind else None,
        provider=ctx.provider_flag,
        column=column,
        country=check_country(country),
        mode=mode.value if mode else None,
        concurrency=concurrency,
        per_minute=parse_rate(rate),
        job=job,
        resume=resume,
        again=again,
        resubmit_uncertain=resubmit_uncertain,
        dry_run=dry_run,
        max_cost=max_cost,
        max_age=parse_duration(age, what="--max-age") if age else None,
        yes=yes,
        encoding=encoding,
        lookup_opts={
            "route": route,
            "storage": storage,
            "notify_url": notify_url,
            "tag": tag,
            "tariff": tariff,
            "callback_url": callback_url,
        },
        output=str(ctx.output) if ctx.output is not None else None,
        format=ctx.fmt_flag or _configured_format(ctx),
        columns=ctx.columns,
        header=False if ctx.no_header else None,
        raw=True if ctx.raw else None,
        excel=True if excel else None,
        stdout=ctx.stdout,
        breakdown=ctx.stderr_is_tty and not ctx.quiet,
    )
    outcome = ctx.jobs().batch(request)
    if outcome.report is not None:
        ctx.emit([outcome.report])
    if outcome.summary and not ctx.quiet:
        ctx.notice(outcome.summary)
    for line in outcome.breakdown:
        ctx.notice(line)
    if outcome.hint:
        (ctx.warn if outcome.code != ExitCode.OK else ctx.notice)(outcome.hint)
    finish(outcome.code)


def _configured_format(ctx: Ctx):  # type: ignore[no-untyped-def]
    """HLRCLI_FORMAT applies to a batch when neither -f nor an -o file name decides."""
    from hlrcli.output import Format, format_for

    if ctx.output is not None and format_for(ctx.output):
        return None
    configured = ctx.settings.get("HLRCLI_FORMAT")
    return Format(configured) if configured else None
