"""Callback bodies in whatever shape a provider posts them: JSON, form-encoded or multipart; plus small converters.

Pure functions over bytes: the webhook receiver reads the body, each provider's `parse_callback` uses these to
turn it into results. The Content-Type header is a hint, not a contract: the providers' docs rarely state one
(hlr-lookups' own PHP example reads the raw body), so a body that is plainly JSON is read as JSON whatever the
header says, and anything else that parses as form fields is read as form fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import fields
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import collapse_rfc2231_value
from typing import Any
from urllib.parse import parse_qsl

from hlrcli.numbers import normalise

MAX_DEPTH = 32  # nesting of a JSON body; no provider sends more than 4 levels
_NUMBER_JUNK = re.compile(r"[\s().\-/]")
_PLAIN_INTERNATIONAL = re.compile(r"\+?[1-9]\d{5,14}")
_NESTED = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")  # PHP-style form fields: details[ported]=1


class PayloadError(ValueError):
    """The body cannot be understood (answered 400: the sender's retries would fail the same way)."""

    status = 400


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """`application/json; charset=UTF-8` → ("application/json", {"charset": "UTF-8"})."""
    if not content_type:
        return "", {}
    main, *params = content_type.split(";")
    out = {}
    for param in params:
        name, _, value = param.partition("=")
        out[name.strip().lower()] = value.strip().strip('"')
    return main.strip().lower(), out


def _depth_ok(text: bytes) -> bool:
    """Cheap bound on nesting before json.loads recurses (a body of 100,000 `[` must be a 400, not a crash)."""
    depth = 0
    for byte in text:
        if byte in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif byte in b"]}":
            depth -= 1
    return True


def load_json(body: bytes) -> Any:
    if not _depth_ok(body):
        raise PayloadError(f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"the body is not valid JSON: {type(exc).__name__}") from None


def decode(body: bytes, content_type: str | None, *, json_only: bool = False) -> Any:
    """The body as JSON (any value) or as a dict of form fields."""
    if not body.strip():
        raise PayloadError("empty body")
    mtype, params = media_type(content_type)
    looks_json = body.lstrip()[:1] in (b"{", b"[")
    if json_only or looks_json:
        return load_json(body)
    charset = params.get("charset") or "utf-8"
    if mtype == "multipart/form-data":
        return _multipart(body, content_type or "", charset)
    try:
        text = body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        raise PayloadError(f"the body is not valid {charset}") from None
    pairs = parse_qsl(text, keep_blank_values=True)
    if not pairs:
        raise PayloadError("the body is neither JSON nor form fields")
    return _nest(pairs)


def _multipart(body: bytes, content_type: str, charset: str) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise PayloadError("malformed multipart body")
    pairs = []
    parts: list[Message] = message.get_payload()  # type: ignore[assignment]  # a list once multipart
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, tuple):  # RFC 2231 encoded name
            name = collapse_rfc2231_value(name)
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        try:
            pairs.append((name, raw.decode(part.get_content_charset() or charset)))
        except (LookupError, UnicodeDecodeError):
            raise PayloadError(f"form field {name!r} is not valid text") from None
    if not pairs:
        raise PayloadError("malformed multipart body: no form field")
    return _nest(pairs)


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form fields as a dict; PHP-style `details[ported]=1` become {"details": {"ported": "1"}}."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        nested = _NESTED.match(name)
        if nested and nested.group(2):
            inner = out.get(nested.group(1))
            if not isinstance(inner, dict):
                inner = out[nested.group(1)] = {}
            inner[nested.group(2)] = value
        else:
            out.setdefault(name, value)  # a repeated field: the first one wins
    return out


def items(data: Any, what: str) -> list[dict[str, Any]]:
    """One object or a list of objects (a batch of notifications) → a list of dicts."""
    found = data if isinstance(data, list) else [data]
    if not found or not all(isinstance(i, dict) for i in found):
        raise PayloadError(f"expected a JSON object (or a list of objects) of {what}")
    return found


# Small converters ------------------------------------------------------------------------------------------
def text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    out = str(value).strip()
    return out or None


def integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    found = text(value)
    if found is not None and re.fullmatch(r"-?\d+", found):
        return int(found)
    return None


def yes_no(value: Any) -> bool | None:
    """Yes/No, true/false, 1/0 (any case) → bool; anything else → None."""
    if isinstance(value, bool) or value is None:
        return value
    found = str(value).strip().lower()
    if found in ("yes", "y", "true", "1"):
        return True
    if found in ("no", "n", "false", "0"):
        return False
    return None


def e164(raw: str | None) -> str | None:
    """The number in E.164, as the job store keys it; a plain +digits reading when libphonenumber refuses
    (an INVALID_MSISDN result is often outside any allocated range, yet still identifies a submission)."""
    if not raw:
        return None
    number = normalise(raw)
    if number.e164:
        return number.e164
    digits = _NUMBER_JUNK.sub("", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return "+" + digits.lstrip("+") if _PLAIN_INTERNATIONAL.fullmatch(digits) else None


def lower_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    """Case-insensitive field names (`messageId`, `messageid`, `MessageId`): the first spelling seen wins."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        out.setdefault(str(key).lower(), value)
    return out


def record_dict(record: Any) -> dict[str, Any]:
    """A result dataclass as the JSON the store keeps (tuples as lists)."""
    return {f.name: _jsonable(getattr(record, f.name)) for f in fields(record)}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def content_key(item: Any) -> str:
    """Same content, same key: a retried delivery of a result without an id is still stored once."""
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
