"""Per-number commands: lookup (HLR), mnp, nt, validate, status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from hlrcli.cli.common import CountryOpt, Ctx, command, finish, parse_numbers, read_numbers, run_pool
from hlrcli.errors import ExitCode, InputError

if TYPE_CHECKING:  # models and phonenumbers load when a command runs, not for --help or completion
    from hlrcli.models import HlrResult
    from hlrcli.numbers import Number

app = typer.Typer()

NumbersArg = Annotated[
    list[str],
    typer.Argument(
        help="numbers: +E.164, 00…, or national with --country; - reads them from stdin",
        show_default=False,
        metavar="NUMBER...",
    ),
]
RouteOpt = Annotated[str | None, typer.Option("--route", help="hlrlookups route id (3 characters)")]
StorageOpt = Annotated[str | None, typer.Option("--storage", help="hlrlookups storage (report) name")]


def _sync(ctx: Ctx, kind: str, command_name: str, raw: list[str], country: str | None, **opts: Any) -> None:
    from hlrcli.batch.service import check_options

    provider = ctx.provider(command_name)
    opts = check_options(provider, opts)
    numbers = parse_numbers(ctx, raw, country, strict=provider.billed)
    if not provider.billed:
        # Offline answers invalid numbers too (that is its job), so nothing is filtered out.
        ctx.emit(provider.lookup(kind, n, **opts) for n in numbers)
        return
    from hlrcli.batch.rows import RESULT_TYPES
    from hlrcli.numbers import distinct

    ctx.check_columns(RESULT_TYPES[kind])

    def failed(n: Number, error: str) -> Any:
        return RESULT_TYPES[kind](msisdn=n.e164 or n.raw, provider=provider.name, error=error)

    def lost(n: Number, error: str) -> Any:
        # The row carries the error, but stderr must say it too: stdout may be a file nobody reads now.
        ctx.warn(f"{n.e164}: {error}")
        return failed(n, error)

    todo = distinct(numbers)
    rows, code = run_pool(todo, lambda n: provider.lookup(kind, n, **opts), lost)
    by_number = {n.e164: row for n, row in zip(todo, rows, strict=True)}
    ctx.emit(by_number[n.e164] if n.ok else failed(n, n.error or "") for n in numbers)
    finish(ExitCode.USAGE if any(not n.ok for n in numbers) else code)


@command(app, "lookup")
def lookup(
    ctx: Ctx,
    numbers: NumbersArg,
    country: CountryOpt = None,
    route: RouteOpt = None,
    storage: StorageOpt = None,
    notify_url: Annotated[
        str | None, typer.Option("--notify-url", help="smspartner: where results are POSTed", metavar="URL")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="smspartner: tag (≤ 20 characters)")] = None,
    tariff: Annotated[int | None, typer.Option("--tariff", help="affiliate: tariff 0-9", min=0, max=9)] = None,
    callback_url: Annotated[
        str | None, typer.Option("--callback-url", help="affiliate: results URL", metavar="URL")
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(
            "--reference",
            help="affiliate: your reference for one number, ≤ 32 letters/digits [default: derived from number and day]",
        ),
    ] = None,
) -> None:
    """HLR lookup: is the number live (CONNECTED/ABSENT/INVALID_MSISDN/UNDETERMINED), network, porting, roaming.

    hlrlookups answers at once; smspartner and affiliate answer later: a receipt is printed now.
    A lookup whose answer is lost (timeout, dropped connection) is sent once more, so it may be billed twice.
    """
    provider = ctx.provider("lookup")
    opts = {"route": route, "storage": storage, "notify_url": notify_url, "tag": tag, "tariff": tariff,
            "callback_url": callback_url, "reference": reference}  # fmt: skip
    if provider.capability("lookup") == "sync":
        _sync(ctx, "hlr", "lookup", numbers, country, **opts)
        return
    ctx.check_columns(provider.receipt_type)
    parsed = parse_numbers(ctx, numbers, country, strict=True)
    outcome = ctx.jobs().submit_now(provider, parsed, **opts)
    for sub in outcome.submissions:
        if sub.state not in ("SUBMITTED", "ALREADY_SUBMITTED"):
            ctx.warn(f"{sub.msisdn}: not submitted: {sub.error or sub.state}")
    if outcome.refused < len(outcome.submissions):
        ctx.notice(f"accepted (job {outcome.job}): {provider.where_results(opts)}; "
                   f"`hlrcli jobs results {outcome.job} --wait` exports them")  # fmt: skip
    ctx.emit(outcome.records)
    finish(ExitCode.USAGE if any(not n.ok for n in parsed) else ExitCode.FAILURE if outcome.refused else ExitCode.OK)


@command(app, "mnp")
def mnp(
    ctx: Ctx,
    numbers: NumbersArg,
    country: CountryOpt = None,
    route: RouteOpt = None,
    storage: StorageOpt = None,
) -> None:
    """MNP lookup: the network a number belongs to now, and whether it was ported."""
    _sync(ctx, "mnp", "mnp", numbers, country, route=route, storage=storage)


@command(app, "nt")
def nt(
    ctx: Ctx,
    numbers: NumbersArg,
    country: CountryOpt = None,
    route: RouteOpt = None,
    storage: StorageOpt = None,
) -> None:
    """Number type: landline, mobile, VoIP, toll-free, premium… (offline: free, from libphonenumber)."""
    _sync(ctx, "nt", "nt", numbers, country, route=route, storage=storage)


@command(app, "validate", uses=("provider", "data", "http"))
def validate(ctx: Ctx, numbers: NumbersArg, country: CountryOpt = None) -> None:
    """Format check, free: valid or not (and why), type, country, E.164/international/national forms."""
    provider = ctx.provider("validate")
    ctx.emit(provider.validate(parse_numbers(ctx, numbers, country, strict=False)))


@command(app, "status")
def status(
    ctx: Ctx,
    ids: Annotated[
        list[str] | None,
        typer.Argument(
            help="HLR ids returned at submission (`-`: one per line from stdin)", show_default=False, metavar="ID..."
        ),
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", "-r", help="look up by your reference instead (repeatable)"),
    ] = None,
) -> None:
    """Result of an asynchronous HLR request (affiliate): CONNECTED/ABSENT/…, or PENDING while still running."""
    provider = ctx.provider("status")
    keys = [("hlr_id", i) for i in read_numbers(ids or [], "ids")] + [("reference", r) for r in reference or []]
    if not keys:
        raise InputError("give at least one HLR id or --reference")
    for key in keys:
        provider.check_status_key(**{key[0]: key[1]})

    def failed(key: tuple[str, str], error: str) -> HlrResult:
        field = "id" if key[0] == "hlr_id" else "reference"
        ctx.warn(f"{field} {key[1]}: {error}")
        from hlrcli.models import HlrResult

        if field == "id":
            return HlrResult(msisdn="", id=key[1], provider=provider.name, error=error)
        return HlrResult(msisdn="", reference=key[1], provider=provider.name, error=error)

    rows, code = run_pool(keys, lambda k: provider.status(**{k[0]: k[1]}), failed)
    ctx.emit(rows)
    finish(code)
