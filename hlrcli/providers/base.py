"""The provider interface: one method per capability; what a provider can do is read off what it implements.

A provider overrides the methods of the things it can do; `capability()` derives the `providers` matrix and
every "provider X cannot do Y" from that, so there is no second declaration to keep in step. What differs between
providers beyond methods is a handful of class attributes: whether it bills (`billed`), which lookup types its
bulk endpoint takes (`bulk_kinds`), how bulk results come back (`results_by`), whether an uncertain request may be
resent for free (`resend_free`), and which provider-specific options it takes (`options`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from hlrcli.config import Settings
from hlrcli.errors import AuthError, HlrcliError, UncertainError, UnsupportedError
from hlrcli.models import (
    Balance,
    CallbackResult,
    Check,
    Country,
    CoverageRoute,
    HlrResult,
    MnpResult,
    Network,
    NtResult,
    Price,
    PriceRow,
    RentalStatus,
    RouteAdvice,
    RouteEntry,
    RoutingRule,
    Submission,
    Validation,
)
from hlrcli.numbers import Number

Log = Callable[[str], None]
KINDS = ("hlr", "mnp", "nt")
LookupResult = HlrResult | MnpResult | NtResult
Pricer = Callable[[str | None, str], float | None]  # (region, a sample number) -> unit price, or None if unknown


def _silent(_: str) -> None:
    pass


class ResultsBy(str, Enum):
    """How the results of a bulk (asynchronous) submission come back."""

    WEBHOOK = "webhook"  # the provider POSTs them to `hlrcli webhook serve`
    POLL = "poll"  # they can be fetched (`hlrcli jobs poll`); the provider may also POST them


@dataclass
class Runtime:
    """What every provider needs from the command line, beyond settings."""

    timeout: float = 30.0
    attempts: int = 5
    give_up_after: float = 900.0  # seconds of 429s before a request is given up
    pool_size: int = 16
    per_minute: float | None = None  # --rate: a pace the user asks for, on top of the provider's own
    trace: Log = _silent
    notice: Log = _silent
    extra: dict[str, Any] = field(default_factory=dict)


# The commands a provider can be asked for; the `providers` matrix lists them in this order.
COMMANDS = (
    "lookup",
    "mnp",
    "nt",
    "validate",
    "status",
    "balance",
    "routes",
    "price",
    "coverage",
    "networks",
    "rental-status",
    "batch",
)
# command -> the methods any one of which makes it possible
_METHODS: dict[str, tuple[str, ...]] = {
    "validate": ("validate",),
    "status": ("status",),
    "balance": ("balance",),
    "routes": ("routes",),
    "price": ("price", "price_list"),
    "coverage": ("coverage",),
    "networks": ("networks",),
    "rental-status": ("rental_status",),
}
SINGLE = {"hlr": "hlr", "mnp": "mnp", "nt": "nt"}


class Provider:
    """Base of every provider: the methods it does not override say "not available on X"."""

    name: ClassVar[str]
    title: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ()  # settings without which it cannot run
    billed: ClassVar[bool] = True  # False: free and local (offline): no journal, no cost
    bulk_kinds: ClassVar[frozenset[str]] = frozenset()  # lookup types `submit` takes
    results_by: ClassVar[ResultsBy] = ResultsBy.WEBHOOK
    resend_free: ClassVar[bool] = False  # an uncertain submission may be resent without paying twice
    signed_callbacks: ClassVar[bool] = False  # callbacks carry a signature (else our URL token authenticates them)
    options: ClassVar[frozenset[str]] = frozenset()  # provider-specific lookup options (--route, --tag, …)
    callback_setup: ClassVar[str] = ""  # where the user gives the provider our webhook URL
    chunk_size: int = 1000

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.settings = settings
        self.runtime = runtime or Runtime()

    # What it can do -----------------------------------------------------------------------------------------
    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return all(settings.get(name) for name in cls.required)

    @classmethod
    def missing(cls, settings: Settings) -> list[str]:
        """The required settings not set: names a half-configured provider's gap."""
        return [name for name in cls.required if not settings.get(name)]

    @classmethod
    def _overrides(cls, method: str) -> bool:
        return getattr(cls, method) is not getattr(Provider, method)

    @classmethod
    def sync_kinds(cls) -> frozenset[str]:
        return frozenset(k for k in KINDS if cls._overrides(SINGLE[k]))

    @classmethod
    def batch_kinds(cls) -> frozenset[str]:
        return cls.sync_kinds() | cls.bulk_kinds

    @classmethod
    def capability(cls, command: str) -> str | None:
        """How `command` is done here ("sync", "async", "free", "yes"), or None if it cannot be."""
        if command == "lookup":
            return "sync" if cls._overrides("hlr") else "async" if "hlr" in cls.bulk_kinds else None
        if command in ("mnp", "nt"):
            return None if not cls._overrides(command) else "sync" if cls.billed else "free"
        if command == "batch":
            kinds = [k for k in KINDS if k in cls.batch_kinds()]
            if not kinds:
                return None
            if not cls.billed:
                return ", ".join(kinds)
            modes = [m for m, ok in (("sync", cls.sync_kinds()), ("async", cls.bulk_kinds)) if ok]
            return f"{', '.join(kinds)} ({' or '.join(modes)})"
        if any(cls._overrides(m) for m in _METHODS.get(command, ())):
            return "free" if command == "validate" else "yes"
        return None

    @classmethod
    def supports(cls, command: str) -> bool:
        return cls.capability(command) is not None

    def _unsupported(self, command: str) -> UnsupportedError:
        return UnsupportedError(f"{command} is not available on {self.name}")

    # Lookups --------------------------------------------------------------------------------------------------
    def hlr(self, number: Number, *, replays: int = 1, **opts: Any) -> HlrResult:
        """One synchronous HLR lookup. `replays`: resends accepted after a lost answer (0 in batches)."""
        raise self._unsupported("lookup")

    def mnp(self, number: Number, *, replays: int = 1, **opts: Any) -> MnpResult:
        raise self._unsupported("mnp")

    def nt(self, number: Number, *, replays: int = 1, **opts: Any) -> NtResult:
        raise self._unsupported("nt")

    def lookup(self, kind: str, number: Number, **opts: Any) -> LookupResult:
        method: Callable[..., LookupResult] = getattr(self, SINGLE[kind])
        return method(number, **opts)

    def submit(self, kind: str, numbers: Sequence[Number], *, scope: str, **opts: Any) -> list[Submission]:
        """Hand one chunk (at most `chunk_size` numbers) to the bulk endpoint: a Submission per number.

        `scope` names the job: providers whose submissions carry our own keys derive them from it.
        """
        raise self._unsupported(f"async {kind}")

    def references(self, numbers: Sequence[str], scope: str, **opts: Any) -> dict[str, str]:
        """Keys known BEFORE sending (number -> our reference), journaled with the request so a result can
        find its row even if the answer to the submission is lost. Empty where the provider assigns ids."""
        return {}

    def lookup_scope(self) -> str | None:
        """The scope of a `lookup` submission (affiliate: the day, so repeating a command is free)."""
        return None

    def status(self, hlr_id: str | None = None, reference: str | None = None) -> HlrResult:
        raise self._unsupported("status")

    def check_status_key(self, hlr_id: str | None = None, reference: str | None = None) -> None:
        """Refuse an id or reference that cannot be one (UsageError), before any request."""

    def validate(self, numbers: Sequence[Number]) -> list[Validation]:
        raise self._unsupported("validate")

    # Account and catalogue ------------------------------------------------------------------------------------
    def balance(self) -> Balance:
        raise self._unsupported("balance")

    def routes(self) -> list[RouteEntry]:
        raise self._unsupported("routes")

    def route(self, number: Number) -> RouteAdvice:
        raise self._unsupported("routes")

    def routing_map(self) -> list[RoutingRule]:
        raise self._unsupported("routes --map")

    def price(self, number: Number, route_type: str, route: str | None = None) -> Price:
        raise UnsupportedError(f"{self.name} publishes no per-number price: use `hlrcli price -p {self.name}`")

    def price_list(self, **opts: Any) -> list[PriceRow]:
        raise self._unsupported("price")

    def coverage(self, country: str, sample_size: str | None = None) -> list[CoverageRoute]:
        raise self._unsupported("coverage")

    def mnp_coverage(self, country: str | None = None) -> list[Network]:
        raise self._unsupported("coverage --type mnp")

    def mnp_countries(self) -> list[Country]:
        raise self._unsupported("coverage --mnp-countries")

    def networks(self, country: str | None = None) -> list[Network]:
        raise self._unsupported("networks")

    def rental_status(self, token: str) -> RentalStatus:
        raise self._unsupported("rental-status")

    # What a batch needs to know -------------------------------------------------------------------------------
    def pricer(self, kind: str, options: Mapping[str, Any]) -> Pricer:
        """Unit prices for the cost estimate; unknown (None) unless the provider publishes them."""
        return lambda region, sample: None

    def where_results(self, options: Mapping[str, Any]) -> str:
        """Where the results of a bulk submission will arrive, said after submitting."""
        return "results arrive by webhook (`hlrcli webhook serve`)"

    receipt_type: type = Submission  # what `receipts` returns

    def receipts(self, submissions: list[Submission], options: Mapping[str, Any]) -> list[Any]:
        """What `lookup` prints for an asynchronous submission."""
        return submissions

    # Results delivered later ------------------------------------------------------------------------------------
    @classmethod
    def parse_callback(cls, body: bytes, content_type: str | None) -> list[CallbackResult]:
        """A webhook/callback body as results (raises hlrcli.payloads.PayloadError when it is not one)."""
        raise NotImplementedError

    @classmethod
    def callback_signature_ok(cls, settings: Settings, header: str | None, body: bytes) -> bool:
        """For providers with `signed_callbacks`: is this body signed with the account's credentials?"""
        return False

    # Health -----------------------------------------------------------------------------------------------------
    def doctor(self) -> Iterable[Check]:
        return [Check(self.name, "configuration", "ok", "nothing to check")]

    def cancel(self) -> None:
        """Stop: requests not yet sent are not sent (in-flight ones finish and are recorded)."""

    def close(self) -> None:
        """Release connections."""

    def _probe(self, call: Callable[[], Any], what: str) -> tuple[list[Check], Any, HlrcliError | None]:
        """Doctor lines for one authenticated call (was the API reached, were the credentials accepted), its
        value, and the failure if there was one."""
        where = getattr(getattr(self, "http", None), "base_url", "")
        try:
            value = call()
        except AuthError as exc:
            return (
                [
                    Check(self.name, "reachability", "ok", where),
                    Check(self.name, "authentication", "fail", str(exc)),
                ],
                None,
                exc,
            )
        except HlrcliError as exc:
            return [Check(self.name, "reachability", "fail", str(exc))], None, exc
        return (
            [
                Check(self.name, "reachability", "ok", where),
                Check(self.name, "authentication", "ok", what),
            ],
            value,
            None,
        )


class HttpProvider(Provider):
    """A provider behind an HTTP API: one HttpClient (one session) built from settings."""

    base_setting: ClassVar[str]
    auth_hint: ClassVar[str]

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        super().__init__(settings, runtime)
        for name in self.required:
            settings.require(name, self.name)
        from hlrcli.http import HttpClient

        rt = self.runtime
        self.http = HttpClient(
            self.name,
            settings.get(self.base_setting) or "",
            timeout=rt.timeout,
            attempts=rt.attempts,
            give_up_after=rt.give_up_after,
            pool_size=rt.pool_size,
            trace=rt.trace,
            notice=rt.notice,
            auth_hint=self.auth_hint,
            base_setting=self.base_setting,
            is_refusal=self.is_refusal,
            **{"per_minute": rt.per_minute, **self.client_options()},
        )

    def client_options(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def is_refusal(body: Any) -> bool:
        """Is this decoded body the provider's own error answer (so nothing was processed)?"""
        return False

    def shape_error(self, what: str, charged: bool) -> HlrcliError:
        """An answer that decoded but lacks what it must hold: uncertain if the request was billed."""
        from hlrcli.errors import NetworkError

        if charged:
            return UncertainError(f"{self.name}: unexpected answer to {what}; the request may have been processed")
        return NetworkError(f"{self.name}: unexpected answer to {what}")

    def cancel(self) -> None:
        self.http.cancel.set()

    def close(self) -> None:
        self.http.close()
