"""The provider registry: names, lazy construction, and the choice of a default."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from hlrcli.config import Settings
from hlrcli.errors import UnsupportedError, UsageError
from hlrcli.providers.base import Provider, Runtime

# Order matters: the first configured live provider is the default.
MODULES = {
    "hlrlookups": ("hlrcli.providers.hlrlookups", "HlrLookups"),
    "smspartner": ("hlrcli.providers.smspartner", "SmsPartner"),
    "affiliate": ("hlrcli.providers.affiliate", "Affiliate"),
    "offline": ("hlrcli.providers.offline", "Offline"),
}
NAMES = tuple(MODULES)
LIVE = NAMES[:-1]


def provider_class(name: str) -> type[Provider]:
    if name not in MODULES:
        raise UsageError(f"unknown provider {name!r}; choose from {', '.join(NAMES)}")
    module, cls = MODULES[name]
    return getattr(importlib.import_module(module), cls)


def choose(name: str | None, settings: Settings, notice: Callable[[str], None]) -> str:
    """-p, else HLRCLI_PROVIDER, else the first configured live provider, else offline (said once on stderr)."""
    chosen = name or settings.get("HLRCLI_PROVIDER")
    if chosen:
        provider_class(chosen.lower())
        return chosen.lower()
    for live in LIVE:
        if provider_class(live).configured(settings):
            return live
    notice(
        "no provider configured, using offline (libphonenumber: validity and type, not live status); "
        "to go live set HLR_LOOKUPS_API_KEY/SECRET, SMSPARTNER_API_KEY or AFFILIATE_SMS_API_KEY"
    )
    return "offline"


def able(command: str) -> list[str]:
    return [n for n in NAMES if provider_class(n).supports(command)]


def require(name: str, command: str) -> type[Provider]:
    cls = provider_class(name)
    if not cls.supports(command):
        others = able(command)
        hint = f"; use -p {' or -p '.join(others)}" if others else ""
        raise UnsupportedError(f"{command} is not available on {name}{hint}")
    return cls


def make(name: str, settings: Settings, runtime: Runtime) -> Provider:
    return provider_class(name)(settings, runtime)
