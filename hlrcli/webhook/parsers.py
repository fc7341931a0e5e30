"""Webhook bodies → deliveries ready for `Store.deliver`. Pure functions: bytes and headers in, records out.

Every parser takes the raw body and the Content-Type header and returns a list of `Parsed`, or raises
`PayloadError` (answered 400) or `MediaTypeError` (415). Nothing here touches the network or the store.

Mapping choices (providers.md):
- hlrlookups: result objects become HlrResult / MnpResult / NtResult (unknown keys dropped, strings trimmed so
  `"mnc": "01 "` becomes `"01"`). The NT webhook's own spellings are renamed to the NT result fields, Yes/No
  become booleans, and its `state` becomes `query_status` (COMPLETED → OK). A result without an `id` is kept
  under a hash of its content, stable across the provider's retries, rather than refusing the whole batch.
- smspartner: errorGrpId 0 → CONNECTED, 1 → INVALID_MSISDN, 6 and 27 → ABSENT, anything else → UNDETERMINED;
  the group, its name and description are kept (error_code, raw_status, error_description).
- affiliate: `hlrcli.providers.affiliate.result_from`, the decoded payload kept under `raw`; interim `sent`
  callbacks are acknowledged but not stored (`Parsed.final` is False).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import collapse_rfc2231_value
from typing import Any
from urllib.parse import parse_qsl

from hlrcli.models import (
    ABSENT,
    CONNECTED,
    INVALID_MSISDN,
    PENDING,
    UNDETERMINED,
    HlrResult,
    MnpResult,
    NtResult,
    build,
)
from hlrcli.numbers import normalise
from hlrcli.providers.affiliate import result_from

JSON, FORM, MULTIPART = "json", "form", "multipart"
NAMES = {JSON: "JSON", FORM: "form-encoded", MULTIPART: "multipart form"}
RESULT_TYPES: dict[str, type] = {"hlr": HlrResult, "mnp": MnpResult, "nt": NtResult}

# The NT webhook spells its keys differently from the synchronous NT answer (seed 004).
NT_ALIASES = {
    "numbertype": "number_type",
    "state": "query_status",
    "isvalid": "is_valid",
    "invalidreason": "invalid_reason",
    "ispossiblyported": "is_possibly_ported",
    "isvanitynumber": "is_vanity_number",
    "qualifiesforhlrlookup": "qualifies_for_hlr_lookup",
    "originalcarrier": "original_network_name",
    "countrycode": "original_country_code",
    "countryname": "original_country_name",
    "infotext": "info_text",
    "usercharge": "cost",
    "inserttime": "timestamp",
}
NT_FLAGS = ("is_valid", "is_possibly_ported", "is_vanity_number", "qualifies_for_hlr_lookup")
# The webhook's processing `state` on the synchronous answer's `query_status` vocabulary (OK | FAILED).
NT_STATE = {"COMPLETED": "OK", "OK": "OK", "FAILED": "FAILED", "REJECTED": "FAILED"}

SMSPARTNER_STATUS = {0: CONNECTED, 1: INVALID_MSISDN, 6: ABSENT, 27: ABSENT}
# The poll answer's fields (what `result_from` reads), looked up case-insensitively in a callback.
AFFILIATE_FIELDS = (
    "id",
    "reference",
    "msisdn",
    "network",
    "status",
    "details",
    "createdDatetime",
    "statusDatetime",
)

_NUMBER_JUNK = re.compile(r"[\s().\-/]")
_PLAIN_INTERNATIONAL = re.compile(r"\+?[1-9]\d{5,14}")
# PHP-style nested form fields: details[ported]=1
_NESTED = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")


class PayloadError(ValueError):
    """The body cannot be understood (answered 400: the sender's retries would fail the same way)."""

    status = 400


class MediaTypeError(PayloadError):
    """A Content-Type this endpoint does not accept (answered 415)."""

    status = 415


@dataclass(frozen=True)
class Parsed:
    """One result out of a webhook body, with what `Store.deliver` needs."""

    provider: str
    result_key: str  # idempotency key: the same delivery twice is stored once
    kind: str  # hlr | mnp | nt
    number: str | None  # E.164 when the provider's number could be read as one
    result: dict[str, Any]
    match: dict[str, str | None] = field(default_factory=dict)
    final: bool = True  # False: an interim status (affiliate "sent"), acknowledged, not stored


# Signatures ------------------------------------------------------------------------------------------------
def expected_signature(key: str, secret: str, body: bytes) -> str:
    """hlrlookups webhook signature: hex SHA-256 of KEY + SECRET + RAW_BODY (raw bytes, never re-encoded)."""
    return hashlib.sha256(key.encode() + secret.encode() + body).hexdigest()


def signature_ok(header: str | None, key: str, secret: str, body: bytes) -> bool:
    """True if ANY `;`-separated entry of X-Signatures matches (one entry per secret of the account)."""
    if not header:
        return False
    expected = expected_signature(key, secret, body).encode()
    valid = False
    for entry in header.split(";"):
        # No early exit: every entry is compared, in constant time, whatever the outcome.
        candidate = entry.strip().lower().encode("utf-8", "replace")
        valid |= hmac.compare_digest(expected, candidate)
    return valid


# Bodies ----------------------------------------------------------------------------------------------------
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


def body_kind(content_type: str | None, allowed: tuple[str, ...]) -> str:
    """JSON, FORM or MULTIPART for this Content-Type, or MediaTypeError if it is not one of `allowed`."""
    mtype, _ = media_type(content_type)
    if mtype in ("application/json", "text/json") or (mtype.startswith("application/") and mtype.endswith("+json")):
        kind = JSON
    elif mtype == "application/x-www-form-urlencoded":
        kind = FORM
    elif mtype == "multipart/form-data":
        # What PHP's curl sends when CURLOPT_POSTFIELDS is an array: likely for the PHP-shaped notifications.
        kind = MULTIPART
    else:
        kind = ""
    if kind not in allowed:
        wanted = " or ".join({JSON: "JSON", FORM: "form-encoded", MULTIPART: "multipart form"}[a] for a in allowed)
        raise MediaTypeError(f"unsupported Content-Type {mtype or '(none)'}: {wanted} expected")
    return kind


def decode(body: bytes, content_type: str | None, allowed: tuple[str, ...] = (JSON, FORM, MULTIPART)) -> Any:
    """The body as JSON (any value) or as a dict of form fields."""
    kind = body_kind(content_type, allowed)
    if not body.strip():
        raise PayloadError("empty body")
    if kind == JSON:
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PayloadError(f"the body is not valid JSON: {exc}") from None
    charset = media_type(content_type)[1].get("charset") or "utf-8"
    if kind == FORM:
        try:
            text = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise PayloadError(f"the body is not valid {charset}") from None
        return _nest(parse_qsl(text, keep_blank_values=True))
    return _multipart(body, content_type or "", charset)


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


def _items(data: Any, what: str) -> list[dict[str, Any]]:
    """One object or a list of objects (a batch of notifications) → a list of dicts."""
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) for i in items):
        raise PayloadError(f"expected a JSON object (or a list of objects) of {what}")
    return items


# Small converters ------------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _text(value)
    if text is not None and re.fullmatch(r"-?\d+", text):
        return int(text)
    return None


def yes_no(value: Any) -> bool | None:
    """Yes/No, true/false, 1/0 (any case) → bool; anything else → None."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("no", "n", "false", "0"):
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


def _record_dict(record: Any) -> dict[str, Any]:
    return {f.name: _jsonable(getattr(record, f.name)) for f in fields(record)}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _lower_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    """Case-insensitive field names (`messageId`, `messageid`, `MessageId`): the first spelling seen wins."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        out.setdefault(str(key).lower(), value)
    return out


# hlrlookups ------------------------------------------------------------------------------------------------
def parse_hlrlookups(body: bytes, content_type: str | None) -> list[Parsed]:
    """`{"type": "HLR"|"MNP"|"NT", "results": [...]}` (verify the signature first: this does not)."""
    data = decode(body, content_type, (JSON,))
    if not isinstance(data, dict):
        raise PayloadError('expected a JSON object {"type": …, "results": […]}')
    kind = str(data.get("type") or "").strip().lower()
    if kind not in RESULT_TYPES:
        raise PayloadError(f"unknown webhook type {data.get('type')!r}: HLR, MNP or NT expected")
    results = data.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise PayloadError('"results" must be a list of objects')
    return [hlrlookups_result(kind, item) for item in results]


def normalise_nt(item: Mapping[str, Any]) -> dict[str, Any]:
    """An NT webhook item on the NT result's field names (the documented spelling wins if both appear)."""
    out = dict(item)
    for alias, name in NT_ALIASES.items():
        if alias in item and item.get(name) is None:
            out[name] = item[alias]
    for flag in NT_FLAGS:
        out[flag] = yes_no(out.get(flag))
    status = _text(out.get("query_status"))
    out["query_status"] = NT_STATE.get(status.upper(), status) if status else None
    for key in ("regions", "timezones"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = [value]
    return out


def hlrlookups_result(kind: str, item: Mapping[str, Any]) -> Parsed:
    data = normalise_nt(item) if kind == "nt" else dict(item)
    number_field = "number" if kind == "nt" else "msisdn"
    raw_number = _text(data.get(number_field)) or ""
    result_id = _text(data.get("id"))
    record = build(RESULT_TYPES[kind], {**data, number_field: raw_number, "id": result_id}, provider="hlrlookups")
    if result_id:
        key = result_id
    else:
        # Same bytes in, same key out: a retried batch still stores such a result once.
        canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, default=str)
        key = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    return Parsed(
        provider="hlrlookups",
        result_key=key,
        kind=kind,
        number=e164(raw_number),
        result=_record_dict(record),
        match={"sub_id": result_id},
    )


# smspartner ------------------------------------------------------------------------------------------------
def parse_smspartner(body: bytes, content_type: str | None) -> list[Parsed]:
    """SMS Partner notifyUrl notifications: one per number, form-encoded or JSON (a JSON list is accepted)."""
    return [smspartner_result(item) for item in _items(decode(body, content_type), "notifications")]


def smspartner_result(item: Mapping[str, Any]) -> Parsed:
    f = _lower_keys(item)
    phone, message_id, date = _text(f.get("phone")), _text(f.get("messageid")), _text(f.get("date"))
    if not phone and not message_id:
        raise PayloadError("an SMS Partner notification needs phone or messageId")
    number = e164(phone)
    group = _int(f.get("errorgrpid"))
    mccmnc = _text(f.get("mccmnc"))
    record = HlrResult(
        msisdn=number or phone or "",
        id=message_id,
        connectivity_status=SMSPARTNER_STATUS.get(group, UNDETERMINED) if group is not None else UNDETERMINED,
        mccmnc=mccmnc,
        mcc=mccmnc[:3] if mccmnc else None,
        mnc=(mccmnc[3:] or None) if mccmnc else None,
        is_ported=yes_no(f.get("ported")),
        error_code=group if group is not None else _text(f.get("errorgrpid")),
        error_description=_text(f.get("errordesc")),
        raw_status=_text(f.get("errorname")),
        timestamp=date,
        provider="smspartner",
    )
    return Parsed(
        provider="smspartner",
        result_key=message_id or f"{number or phone}|{date or ''}",
        kind="hlr",
        number=number,
        result=_record_dict(record),
        match={"number": number},
    )


# affiliate -------------------------------------------------------------------------------------------------
def parse_affiliate(body: bytes, content_type: str | None) -> list[Parsed]:
    """affiliate-sms callbacks (format undocumented): the poll answer's shape, as JSON or form fields."""
    return [affiliate_result(item) for item in _items(decode(body, content_type), "callbacks")]


def affiliate_result(item: Mapping[str, Any]) -> Parsed:
    f = _lower_keys(item)
    data = {name: f.get(name.lower()) for name in AFFILIATE_FIELDS}
    if not isinstance(data["details"], dict | str):
        # Form callbacks flatten `details` into top-level ported/roaming fields.
        data["details"] = {k: f[k] for k in ("ported", "roaming") if k in f}
    hlr_id, reference = _text(data["id"]), _text(data["reference"])
    if not hlr_id and not reference:
        raise PayloadError("an affiliate callback needs id or reference")
    record = result_from({**data, "id": hlr_id, "reference": reference})
    number = e164(record.msisdn)
    if number and record.msisdn != number:
        record = replace(record, msisdn=number)
    # The status is part of the key: an interim "sent" must not make the final callback a duplicate.
    key = f"{hlr_id or 'reference:' + (reference or '')}:{record.raw_status or ''}"
    return Parsed(
        provider="affiliate",
        result_key=key,
        kind="hlr",
        number=number,
        result={**_record_dict(record), "raw": dict(item)},
        match={"sub_id": hlr_id, "reference": reference},
        final=record.connectivity_status != PENDING,
    )


PARSERS = {"hlrlookups": parse_hlrlookups, "smspartner": parse_smspartner, "affiliate": parse_affiliate}
