"""The provider registry: names, lazy construction, and which provider a command goes to.

The only place outside a provider's own module that knows the providers by name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from hlrcli.config import Settings
from hlrcli.errors import ConfigError, UnsupportedError, UsageError
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
FREE = NAMES[-1]


def provider_class(name: str) -> type[Provider]:
    if name not in MODULES:
        raise UsageError(f"unknown provider {name!r}; choose from {', '.join(NAMES)}")
    module, cls = MODULES[name]
    found: type[Provider] = getattr(importlib.import_module(module), cls)
    return found


def classes() -> dict[str, type[Provider]]:
    return {n: provider_class(n) for n in NAMES}


def configured(settings: Settings) -> list[str]:
    return [n for n in LIVE if provider_class(n).configured(settings)]


def half_configured(settings: Settings) -> dict[str, list[str]]:
    """Providers with some of their credentials set but not all: name -> what is missing."""
    out = {}
    for name in LIVE:
        cls = provider_class(name)
        missing = cls.missing(settings)
        if missing and len(missing) < len(cls.required):
            out[name] = missing
    return out


def able(command: str) -> list[str]:
    return [n for n in NAMES if provider_class(n).supports(command)]


def option_owners(option: str) -> list[str]:
    return [n for n in NAMES if option in provider_class(n).options]


def choose(command: str, flag: str | None, settings: Settings, notice: Callable[[str], None]) -> str:
    """The provider for `command`: -p; else HLRCLI_PROVIDER or the first configured provider, if it can do it;
    else the first configured one that can; else offline where it can (free). Said on stderr when it is not
    the preferred one."""
    if flag:
        provider_class(flag.lower())
        return flag.lower()
    half = half_configured(settings)
    for name, missing in half.items():
        notice(f"{name} is not fully configured ({', '.join(missing)} not set), so it is not used")
    ready = configured(settings)
    preferred = settings.get("HLRCLI_PROVIDER") or (ready[0] if ready else None)
    candidates = [*([preferred] if preferred else []), *(n for n in ready if n != preferred), FREE]
    for name in dict.fromkeys(candidates):
        if not provider_class(name).supports(command):
            continue
        if preferred is None and not half:
            notice(
                "no provider configured, using offline (libphonenumber: validity and type, not live status); "
                "to go live set HLR_LOOKUPS_API_KEY/SECRET, SMSPARTNER_API_KEY or AFFILIATE_SMS_API_KEY"
            )
        elif preferred is not None and name != preferred:
            notice(f"{command}: using {name} ({preferred} cannot do it; -p chooses)")
        return name
    others = able(command)
    unfinished = [n for n in others if n in half]
    if unfinished:
        name = unfinished[0]
        raise ConfigError(f"{command} needs {name}, which is not fully configured: set {', '.join(half[name])}")
    hint = f"; configure {' or '.join(others)} (see `hlrcli config show`)" if others else ""
    raise UnsupportedError(f"{command} is not available on {preferred or FREE}{hint}")


def require(name: str, command: str) -> type[Provider]:
    cls = provider_class(name)
    if not cls.supports(command):
        others = able(command)
        hint = f"; use -p {' or -p '.join(others)}" if others else ""
        raise UnsupportedError(f"{command} is not available on {name}{hint}")
    return cls


def make(name: str, settings: Settings, runtime: Runtime) -> Provider:
    return provider_class(name)(settings, runtime)
