"""The provider interface: one method per capability, and a declaration of which ones a provider has.

The CLI asks `supports()` before doing anything, so "provider X cannot do Y" is said up front, never deep inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hlrcli.config import Settings
from hlrcli.errors import AuthError, HlrcliError, UnsupportedError
from hlrcli.models import (
    Balance,
    Check,
    HlrResult,
    MnpResult,
    NtResult,
    Submission,
    Validation,
)
from hlrcli.numbers import Number

Log = Callable[[str], None]


def _silent(_: str) -> None:
    pass


@dataclass
class Runtime:
    """What every provider needs from the command line, beyond settings."""

    timeout: float = 30.0
    attempts: int = 5
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


class Provider:
    name: ClassVar[str]
    title: ClassVar[str]
    # command -> how it is done ("sync", "async", "free", "yes"); absent means unsupported.
    capabilities: ClassVar[dict[str, str]]
    # Lookup types the batch engine can run synchronously (one request per number) or asynchronously (chunks).
    sync_types: ClassVar[frozenset[str]] = frozenset()
    async_types: ClassVar[frozenset[str]] = frozenset()
    chunk_size: ClassVar[int] = 1000
    charges: ClassVar[bool] = True
    required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.settings = settings
        self.runtime = runtime or Runtime()

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        return all(settings.get(name) for name in cls.required)

    @classmethod
    def supports(cls, command: str) -> bool:
        return command in cls.capabilities

    def _unsupported(self, command: str) -> UnsupportedError:
        return UnsupportedError(f"{command} is not available on {self.name}")

    # Single-number lookups (synchronous providers).
    def hlr(self, number: Number, **opts: Any) -> HlrResult:
        raise self._unsupported("lookup")

    def mnp(self, number: Number, **opts: Any) -> MnpResult:
        raise self._unsupported("mnp")

    def nt(self, number: Number, **opts: Any) -> NtResult:
        raise self._unsupported("nt")

    def lookup(self, kind: str, number: Number, **opts: Any) -> HlrResult | MnpResult | NtResult:
        return {"hlr": self.hlr, "mnp": self.mnp, "nt": self.nt}[kind](number, **opts)

    # Asynchronous submission of one chunk (at most `chunk_size` numbers); each number gets a Submission.
    def submit(self, kind: str, numbers: Sequence[Number], **opts: Any) -> list[Submission]:
        raise self._unsupported(f"async {kind}")

    def validate(self, numbers: Sequence[Number]) -> list[Validation]:
        raise self._unsupported("validate")

    def balance(self) -> Balance:
        raise self._unsupported("balance")

    def doctor(self) -> Iterable[Check]:
        return [Check(self.name, "configuration", "ok", "nothing to check")]

    def close(self) -> None:
        """Release connections."""

    def _probe(self, call: Callable[[], Any], what: str) -> tuple[list[Check], Any]:
        """Doctor lines for one authenticated call: was the API reached, were the credentials accepted."""
        where = getattr(getattr(self, "http", None), "base_url", "")
        try:
            value = call()
        except AuthError as exc:
            return [
                Check(self.name, "reachability", "ok", where),
                Check(self.name, "authentication", "fail", str(exc)),
            ], None
        except HlrcliError as exc:
            return [Check(self.name, "reachability", "fail", str(exc))], None
        return [
            Check(self.name, "reachability", "ok", where),
            Check(self.name, "authentication", "ok", what),
        ], value


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
            pool_size=rt.pool_size,
            trace=rt.trace,
            notice=rt.notice,
            auth_hint=self.auth_hint,
            **{"per_minute": rt.per_minute, **self.client_options()},
        )

    def client_options(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.http.close()
