"""Secrets never leave the process in clear: every trace, error line and traceback passes through `redact`."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

_PATTERNS = (
    re.compile(r"(?i)(apiKey=)[^&\s\"'#]+"),
    re.compile(r"(?i)(token=)[^&\s\"'#]+"),
    re.compile(r"(?i)(\"apiKey\"\s*:\s*\")[^\"]*"),
    # An Authorization value starts with its scheme ("Basic …"): the credential is the word after it.
    re.compile(
        r"(?i)((?:x-api-key|x-digest-signature|x-digest-key|x-basic|authorization|x-signatures)[\"']?\s*[:=]\s*[\"']?"
        r"(?:(?:basic|bearer|digest)\s+)?)[^\s\"',}]+"
    ),
)
_lock = threading.Lock()
_secrets: set[str] = set()


def register(values: Iterable[str | None]) -> None:
    """Remember values that must be masked wherever they appear (keys, secrets, tokens)."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 4)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


_URL_TOKEN = re.compile(r"(?i)([?&]token=)[^&#\s]*")


def mask_url_token(url: str | None) -> str | None:
    """A callback URL as it may be shown: its `token` query value replaced by ***."""
    return None if url is None else _URL_TOKEN.sub(r"\1***", url)
