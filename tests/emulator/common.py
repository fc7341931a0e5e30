"""Small types shared by the HTTP layer and the provider modules."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

HLR_KEY = "emu-hlr-key"
HLR_SECRET = "emu-hlr-secret-0123456789"
# A rotated-out secret: its signature goes first in X-Signatures so receivers must accept *any* entry.
HLR_OLD_SECRET = "emu-hlr-old-secret-9876543210"
SMSP_KEY = "emu-smsp-key-0123456789"
AFF_KEY = "live_emu-aff-key-0123456789"


def php_json(obj: Any) -> bytes:
    """What PHP's json_encode produces: compact, ASCII-only, slashes escaped as `\\/`.

    The real providers run PHP. Matching their bytes means a client that re-serialises a webhook body before
    checking its signature fails here exactly as it would in production.
    """
    return json.dumps(obj, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def digest_signature(secret: str, path: str, timestamp: str | int, method: str, body: bytes | str) -> str:
    """hlr-lookups Digest-Auth: hex HMAC-SHA256 of PATH + TIMESTAMP + METHOD + BODY."""
    raw = body.encode() if isinstance(body, str) else body
    msg = f"{path}{timestamp}{method}".encode() + raw
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def webhook_signature(key: str, secret: str, body: bytes) -> str:
    """hlr-lookups webhook signature: hex SHA-256 of KEY + SECRET + RAW_BODY."""
    return hashlib.sha256(key.encode() + secret.encode() + body).hexdigest()


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Headers(dict[str, str]):
    """The request headers as sent (original spelling kept), with case-insensitive lookups."""

    def _find(self, key: object) -> str | None:
        if not isinstance(key, str):
            return None
        if dict.__contains__(self, key):
            return key
        low = key.lower()
        return next((k for k in self if k.lower() == low), None)

    def __getitem__(self, key: str) -> str:
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return dict.__getitem__(self, found)

    def __contains__(self, key: object) -> bool:
        return self._find(key) is not None

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._find(key)
        return default if found is None else dict.__getitem__(self, found)


@dataclass
class Call:
    """One incoming request, as a provider module sees it."""

    method: str
    path: str  # relative to the provider's base URL, e.g. "/hlr-lookup"
    query: dict[str, str]
    headers: Headers
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, obj: Any, headers: dict[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json"}
        merged.update(headers or {})
        return cls(status, php_json(obj), merged)
