"""Per-number commands: lookup (HLR), mnp, nt, validate, status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from hlrcli.cli.common import CountryOpt, Ctx, command, finish, only_for, parse_numbers, run_pool
from hlrcli.errors import ExitCode, InputError

if TYPE_CHECKING:  # models and phonenumbers load when a command runs, not for --help or completion
    from hlrcli.models import HlrResult
    from hlrcli.numbers import Number

app = typer.Typer()

NumbersArg = Annotated[
    list[str], typer.Argument(help="numbers: +E.164, 00…, or national with --country", show_default=False)
]
RouteOpt = Annotated[str | None, typer.Option("--route", help="hlrlookups route id (3 characters)")]
StorageOpt = Annotated[str | None, typer.Option("--storage", help="hlrlookups storage (report) name")]


def result_row(kind: str) -> type:
    from hlrcli.models import HlrResult, MnpResult, NtResult

    return {"hlr": HlrResult, "mnp": MnpResult, "nt": NtResult}[kind]


def _sync(ctx: Ctx, kind: str, command_name: str, raw: list[str], country: str | None, **opts: Any) -> None:
    provider = ctx.provider(command_name)
    numbers = parse_numbers(ctx, raw, country, strict=provider.charges)
    if not provider.charges:
        # Offline answers invalid numbers too (that is its job), so nothing is filtered out.
        ctx.emit(provider.lookup(kind, n, **opts) for n in numbers)
        return
    key = "number" if kind == "nt" else "msisdn"

    def failed(n: Number, error: str) -> Any:
        return result_row(kind)(**{key: n.e164 or n.raw}, provider=provider.name, error=error)

    def lost(n: Number, error: str) -> Any:
        # The row carries the error, but stderr must say it too: stdout may be a file nobody reads now.
        ctx.warn(f"{n.e164}: {error}")
        return failed(n, error)

    from hlrcli.numbers import distinct

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
    notify_url: Annotated[str | None, typer.Option("--notify-url", help="smspartner: where results are POSTed")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="smspartner: tag (≤ 20 characters)")] = None,
    tariff: Annotated[int | None, typer.Option("--tariff", help="affiliate: tariff 0-9", min=0, max=9)] = None,
    callback_url: Annotated[str | None, typer.Option("--callback-url", help="affiliate: results URL")] = None,
    reference: Annotated[
        str | None,
        typer.Option("--reference", help="affiliate: reference (default: derived from number and day)"),
    ] = None,
) -> None:
    """HLR lookup: is the number live (CONNECTED/ABSENT/INVALID_MSISDN/UNDETERMINED), network, porting, roaming.

    hlrlookups answers at once; smspartner and affiliate answer later: a receipt is printed now.
    A lookup whose answer is lost (timeout, dropped connection) is sent once more, so it may be billed twice.
    """
    name = ctx.provider_name()
    only_for(name, "smspartner", notify_url=notify_url, tag=tag)
    only_for(name, "affiliate", tariff=tariff, callback_url=callback_url, reference=reference)
    only_for(name, "hlrlookups", route=route, storage=storage)
    provider = ctx.provider("lookup")
    if provider.capabilities["lookup"] == "sync":
        _sync(ctx, "hlr", "lookup", numbers, country, route=route, storage=storage)
        return
    from hlrcli.cli.submit import submit_now

    parsed = parse_numbers(ctx, numbers, country, strict=True)
    opts = {"notify_url": notify_url, "tag": tag, "tariff": tariff, "callback_url": callback_url}
    submit_now(ctx, provider, parsed, reference=reference, **opts)


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
    only_for(ctx.provider_name(), "hlrlookups", route=route, storage=storage)
    opts = {"route": route, "storage": storage} if (route or storage) else {}
    _sync(ctx, "nt", "nt", numbers, country, **opts)


@command(app, "validate")
def validate(ctx: Ctx, numbers: NumbersArg, country: CountryOpt = None) -> None:
    """Format check, free: valid or not (and why), type, country, E.164/international/national forms."""
    provider = ctx.provider("validate")
    ctx.emit(provider.validate(parse_numbers(ctx, numbers, country, strict=False)))


@command(app, "status")
def status(
    ctx: Ctx,
    ids: Annotated[list[str] | None, typer.Argument(help="HLR ids returned at submission", show_default=False)] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", "-r", help="look up by your reference instead (repeatable)"),
    ] = None,
) -> None:
    """Result of an asynchronous HLR request (affiliate): CONNECTED/ABSENT/…, or PENDING while still running."""
    provider = ctx.provider("status")
    keys = [("hlr_id", i) for i in ids or []] + [("reference", r) for r in reference or []]
    if not keys:
        raise InputError("give at least one HLR id or --reference")

    def failed(key: tuple[str, str], error: str) -> HlrResult:
        field = "id" if key[0] == "hlr_id" else "reference"
        ctx.warn(f"{field} {key[1]}: {error}")
        from hlrcli.models import HlrResult

        return HlrResult(msisdn="", **{field: key[1]}, provider=provider.name, error=error)

    rows, code = run_pool(keys, lambda k: provider.status(**{k[0]: k[1]}), failed)
    ctx.emit(rows)
    finish(code)
