"""The webhook receiver: asynchronous results POSTed by the providers, verified, parsed and stored.

Each provider parses its own bodies (`parse_callback`), `server` is the HTTP side. This module holds what both
the receiver and `hlrcli webhook url` need: the endpoint names; the URL token is `hlrcli.token`.

hlrlookups signs its webhooks; SMS Partner and affiliate-sms do not, so their URLs carry a secret token
(`?token=…`): the setting HLRCLI_WEBHOOK_TOKEN, else one generated once and kept in HLRCLI_HOME/webhook-token.
"""

from __future__ import annotations

from hlrcli.providers import LIVE as PROVIDERS
from hlrcli.token import webhook_token

__all__ = ["DEFAULT_PATH", "PROVIDERS", "normalise_path", "token_providers", "webhook_token"]
DEFAULT_PATH = "/hlrcli"


def token_providers() -> frozenset[str]:
    """Providers whose callbacks are unsigned: their URL must carry the token."""
    from hlrcli.providers import provider_class

    return frozenset(p for p in PROVIDERS if not provider_class(p).signed_callbacks)


def normalise_path(path: str) -> str:
    """`/hlrcli`, `hlrcli/` and `/hlrcli/` all mean `/hlrcli`; `/` and `` mean the root (returned as ``)."""
    cleaned = "/" + path.strip().strip("/")
    return "" if cleaned == "/" else cleaned
