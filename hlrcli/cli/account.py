"""Account and catalogue commands: balance, routes, price, coverage, networks, rental-status, providers, doctor."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from hlrcli.cli.common import CountryOpt, Ctx, command, finish, parse_numbers
from hlrcli.errors import ExitCode, InputError, UsageError

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
    number: Annotated[str | None, typer.Argument(help="recommend a route for this number", show_default=False)] = None,
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
    number: Annotated[str | None, typer.Argument(help="price of a lookup for this number", show_default=False)] = None,
    route_type: Annotated[RouteType, typer.Option("--type", "-t", help="lookup type", case_sensitive=False)] = (
        RouteType.HLR
    ),
    route: Annotated[str | None, typer.Option("--route", help="hlrlookups route id")] = None,
    tariff: Annotated[int | None, typer.Option("--tariff", help="affiliate tariff 0-9", min=0, max=9)] = None,
    country: CountryOpt = None,
) -> None:
    """Prices: of one lookup for a number, or (no number) the whole price list."""
    provider = ctx.provider("price")
    if provider.name == "affiliate":
        if number or route:
            raise UsageError("affiliate publishes a price table only: use `hlrcli price -p affiliate [--tariff N]`")
        ctx.emit(provider.prices(tariff))
        return
    if tariff is not None:
        raise UsageError("--tariff only applies to -p affiliate")
    if number:
        ctx.emit([provider.price(_one_number(ctx, number, country), route_type.value, route)])
    else:
        ctx.emit(provider.price_list())


@command(app, "coverage")
def coverage(
    ctx: Ctx,
    country: Annotated[str | None, typer.Argument(help="ISO country code, e.g. DE", show_default=False)] = None,
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
    country: Annotated[str | None, typer.Argument(help="ISO country code (default: all)", show_default=False)] = None,
) -> None:
    """Mobile networks (MCC/MNC, brand, operator), for one country or all."""
    from hlrcli.numbers import check_country

    ctx.emit(ctx.provider("networks").networks(check_country(country)))


@command(app, "rental-status")
def rental_status(ctx: Ctx, token: Annotated[str, typer.Argument(help="rental token", show_default=False)]) -> None:
    """SMS Partner contact rental: status, targeting, volumes and cost of a rental."""
    result = ctx.provider("rental-status").rental_status(token)
    ctx.emit([result])
    if result.status_code == 3:
        ctx.warn(f"rental {token}: {result.meaning}")
        finish(ExitCode.FAILURE)


@command(app, "providers")
def providers_cmd(ctx: Ctx) -> None:
    """What each provider can do, and which ones are configured."""
    from hlrcli import providers
    from hlrcli.models import Capability
    from hlrcli.providers.base import COMMANDS

    classes = {n: providers.provider_class(n) for n in providers.NAMES}
    rows = [
        Capability(command, **{n: cls.capabilities.get(command, "—") for n, cls in classes.items()})
        for command in COMMANDS
    ]
    state = {n: ("yes" if n == "offline" or cls.configured(ctx.settings) else "no") for n, cls in classes.items()}
    rows.append(Capability("configured", **state))
    ctx.emit(rows)


@command(app, "doctor")
def doctor(ctx: Ctx) -> None:
    """Check each configured provider: reachability, clock skew, authentication, balance."""
    from hlrcli import providers
    from hlrcli.models import Check

    configured = [n for n in providers.LIVE if providers.provider_class(n).configured(ctx.settings)]
    if ctx.provider_flag:
        configured = [ctx.provider_name()]
    checks: list[Check] = []
    if not configured:
        checks.append(Check("offline", "configuration", "ok", "no live provider configured; offline works"))
    for name in configured:
        if name == "offline":
            checks.append(Check("offline", "configuration", "ok", "libphonenumber, no network needed"))
            continue
        try:
            provider = providers.make(name, ctx.settings, ctx.runtime())
        except Exception as exc:  # a bad setting is a finding here, not a crash
            checks.append(Check(name, "configuration", "fail", str(exc)))
            continue
        try:
            checks.extend(provider.doctor())
        finally:
            provider.close()
    ctx.emit(checks)
    failed = [c for c in checks if c.status == "fail"]
    if any(c.check in ("authentication", "configuration") for c in failed):
        finish(ExitCode.CONFIG)
    finish(ExitCode.FAILURE if failed else ExitCode.OK)
