"""Account and catalogue commands: balance, routes, price, coverage, networks, rental-status, providers, doctor."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from hlrcli.cli.common import CountryOpt, Ctx, command, finish, parse_numbers
from hlrcli.errors import ExitCode, HlrcliError, InputError, UsageError

if TYPE_CHECKING:
    from hlrcli.models import Check

app = typer.Typer()


class RouteType(str, Enum):
    HLR = "HLR"
    MNP = "MNP"
    NT = "NT"


class CoverageType(str, Enum):
    hlr = "hlr"
    mnp = "mnp"


class SampleSize(str, Enum):
    LARGE = "LARGE"
    MEDIUM = "MEDIUM"
    SMALL = "SMALL"


def _one_number(ctx: Ctx, number: str, country: str | None) -> object:
    # Not strict: the InputError below is the one line for this number (strict would print it twice).
    [parsed] = parse_numbers(ctx, [number], country, strict=False)
    if not parsed.ok:
        raise InputError(f"{number!r}: {parsed.error}")
    return parsed


@command(app, "balance")
def balance(ctx: Ctx) -> None:
    """Account balance (hlrlookups: EUR; smspartner: balance and HLR/SMS credits)."""
    ctx.emit([ctx.provider("balance").balance()])


@command(app, "routes")
def routes(
    ctx: Ctx,
    number: Annotated[
        str | None, typer.Argument(help="recommend a route for this number", show_default=False, metavar="NUMBER")
    ] = None,
    routing_map: Annotated[bool, typer.Option("--map", help="show the account's routing map")] = False,
    country: CountryOpt = None,
) -> None:
    """Routes: the lists of routes, the recommended route for a number, or (--map) the routing map."""
    provider = ctx.provider("routes")
    if number and routing_map:
        raise UsageError("give a number or --map, not both")
    if routing_map:
        ctx.emit(provider.routing_map())
    elif number:
        ctx.emit([provider.route(_one_number(ctx, number, country))])
    else:
        ctx.emit(provider.routes())


@command(app, "price")
def price(
    ctx: Ctx,
    number: Annotated[
        str | None, typer.Argument(help="price of a lookup for this number", show_default=False, metavar="NUMBER")
    ] = None,
    route_type: Annotated[RouteType, typer.Option("--type", "-t", help="lookup type", case_sensitive=False)] = (
        RouteType.HLR
    ),
    route: Annotated[str | None, typer.Option("--route", help="hlrlookups route id")] = None,
    tariff: Annotated[int | None, typer.Option("--tariff", help="affiliate tariff 0-9", min=0, max=9)] = None,
    country: CountryOpt = None,
) -> None:
    """Prices: of one lookup for a number, or (no number) the whole price list (affiliate: a tariff's table)."""
    provider = ctx.provider("price")
    if tariff is not None and "tariff" not in provider.options:
        raise UsageError(f"--tariff only applies to -p affiliate (the provider here is {provider.name})")
    if number:
        ctx.emit([provider.price(_one_number(ctx, number, country), route_type.value, route)])
        return
    if route:
        raise UsageError("--route prices one number: give the number too")
    rows = provider.price_list(tariff=tariff) if tariff is not None else provider.price_list()
    shown = {r.route for r in rows if r.route and r.route.startswith("tariff ")}
    if shown:
        ctx.notice(f"{provider.name} prices for {', '.join(sorted(shown))} (lookups use tariff 0 unless --tariff)")
    ctx.emit(rows)


@command(app, "coverage")
def coverage(
    ctx: Ctx,
    country: Annotated[
        str | None, typer.Argument(help="ISO country code, e.g. DE", show_default=False, metavar="COUNTRY")
    ] = None,
    kind: Annotated[CoverageType, typer.Option("--type", "-t", help="hlr or mnp coverage")] = CoverageType.hlr,
    sample_size: Annotated[
        SampleSize | None, typer.Option("--sample-size", help="hlr: statistics sample", case_sensitive=False)
    ] = None,
    mnp_countries: Annotated[
        bool, typer.Option("--mnp-countries", help="list countries where only MNP (no HLR) is available")
    ] = False,
) -> None:
    """Coverage: per network and route, the share of CONNECTED/ABSENT/… answers (hlr), or MNP networks."""
    from hlrcli.numbers import check_country

    provider = ctx.provider("coverage")
    code = check_country(country)
    if mnp_countries:
        ctx.emit(provider.mnp_countries())
    elif kind is CoverageType.mnp:
        ctx.emit(provider.mnp_coverage(code))
    elif not code:
        raise UsageError("hlr coverage needs a COUNTRY (e.g. `hlrcli coverage DE`)")
    else:
        ctx.emit(provider.coverage(code, sample_size.value if sample_size else None))


@command(app, "networks")
def networks(
    ctx: Ctx,
    country: Annotated[
        str | None, typer.Argument(help="ISO country code (default: all)", show_default=False, metavar="COUNTRY")
    ] = None,
) -> None:
    """Mobile networks (MCC/MNC, brand, operator), for one country or all."""
    from hlrcli.numbers import check_country

    ctx.emit(ctx.provider("networks").networks(check_country(country)))


@command(app, "rental-status")
def rental_status(
    ctx: Ctx, token: Annotated[str, typer.Argument(help="rental token", show_default=False, metavar="TOKEN")]
) -> None:
    """SMS Partner contact rental: status, targeting, volumes and cost of a rental."""
    result = ctx.provider("rental-status").rental_status(token)
    ctx.emit([result])
    if result.status_code == 3:
        ctx.warn(f"rental {token}: {result.meaning}")
        finish(ExitCode.FAILURE)


@command(app, "providers", uses=("data",))
def providers_cmd(ctx: Ctx) -> None:
    """What each provider can do, and which ones are configured."""
    from hlrcli import providers
    from hlrcli.models import Capability
    from hlrcli.providers.base import COMMANDS

    classes = providers.classes()
    rows = [
        Capability(command, **{n: cls.capability(command) or "—" for n, cls in classes.items()}) for command in COMMANDS
    ]
    half = providers.half_configured(ctx.settings)
    state = {
        n: "yes"
        if not cls.required or cls.configured(ctx.settings)
        else f"missing {', '.join(half[n])}"
        if n in half
        else "no"
        for n, cls in classes.items()
    }
    rows.append(Capability("configured", **state))
    ctx.emit(rows)


@command(app, "doctor", uses=("provider", "data", "http"))
def doctor(ctx: Ctx) -> None:
    """Check each configured provider: configuration, reachability, clock skew, authentication, balance."""
    from hlrcli import providers
    from hlrcli.models import Check

    checks: list[Check] = []
    half = providers.half_configured(ctx.settings)
    names = providers.configured(ctx.settings) + list(half)
    if ctx.provider_flag:
        names = [ctx.provider_flag.lower()]
        providers.provider_class(names[0])
    for name, missing in half.items():
        if name in names:
            checks.append(Check(name, "configuration", "fail", f"not fully configured: set {', '.join(missing)}"))
    if not names:
        checks.append(Check("offline", "configuration", "ok", "no live provider configured; offline works"))
    for name in names:
        if name in half:
            continue
        if name == providers.FREE:
            checks.append(Check(name, "configuration", "ok", "libphonenumber, no network needed"))
            continue
        problems = [n for n in providers.provider_class(name).required if not ctx.settings.raw(n)]
        if problems:
            checks.append(Check(name, "configuration", "fail", f"not configured: set {', '.join(problems)}"))
            continue
        try:
            provider = providers.make(name, ctx.settings, ctx.runtime())
        except HlrcliError as exc:  # a bad setting is a finding here, not a crash
            checks.append(Check(name, "configuration", "fail", str(exc)))
            continue
        try:
            checks.extend(provider.doctor())
        finally:
            provider.close()
    ctx.emit(checks)
    failed = [c for c in checks if c.status == "fail"]
    if any(c.check in ("authentication", "configuration", "base URL") for c in failed):
        finish(ExitCode.CONFIG)
    finish(ExitCode.FAILURE if failed else ExitCode.OK)
