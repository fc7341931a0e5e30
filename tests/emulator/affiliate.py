"""affiliate-sms.com HLR API (providers.md §3, seed 003).

HTTP statuses are not documented; the emulator uses: 200 for error "0" and for a single create answered
with error 13 (the request is understood and idempotently answered, like the per-item 13s inside a 200);
400 for errors 6, 11 and 14; 401 for error 1 (missing or wrong X-API-KEY); 404 for error 10 (HLR not
found) and for unknown paths (`{"error": "404", ...}`, an invented code); 405 for a wrong method; 429 when
rate limited (`{"error": "429", ...}`, also invented; `Retry-After` per `Emulator.retry_after`, 1 s by default).
Every JSON value is a string.

References must be what bsg.world's table allows ("A string of up to 32 characters containing /a-zA-Z0-9/"):
another is answered error 15 "Invalid External ID" (bsg's table), per item like error 11. A repeated
reference's item in a multiple answer spells its key `" errorDescription"`, leading space, as the docs print it.
Results follow the docs' status example: `network` is the MCC+MNC for active and absent, "unknown" for
unknown; `details` carry the number's flags only for active ("complete information is available if the status
is active"), "0"/"0" otherwise. The API answers at the root (`/hlr/...`, the function pages) and under `/rest`
(the general page, bsg.world): `Emulator.affiliate_path_prefixes`.

`GET /hlr/reference/{reference}` is how a client finds out what became of a submission whose answer it lost
(it knows the reference it sent, not the id). `Emulator.affiliate_poll_by_reference = False` takes that endpoint
away (404 `{"error": "404", ...}`, as for any unknown path) to test the other way back: resubmitting the same
reference, answered error 13 with the id, then `GET /hlr/{id}`.

Charges use E.164 (`+` and digits) like the other providers, although the API itself takes digits only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from . import data
from .common import AFF_KEY, Call, Response

if TYPE_CHECKING:
    from .server import Emulator

NAME = "affiliate"
PRICE = Decimal("0.002")
FINAL_STATUS = {
    data.CONNECTED: "active",
    data.ABSENT: "absent",
    data.INVALID_MSISDN: "failed",
    data.UNDETERMINED: "unknown",
}
_MSISDN = re.compile(r"[1-9]\d{7,14}")
_REFERENCE = re.compile(r"[a-zA-Z0-9]{1,32}")
_TARIFF = re.compile(r"\d")


@dataclass
class Hlr:
    id: str
    reference: str
    msisdn: str
    tariff: int
    callback_url: str | None
    created: str
    polls: int = 0


def _err(status: int, code: str, description: str, **extra: str) -> Response:
    return Response.json(status, {"error": code, "errorDescription": description, **extra})


def _datetime(unix: float, style: str = "bsg") -> str:
    """bsg.world's display format (Y-m-d H:i:s), or affiliate's example (ISO 8601 with offset)."""
    when = datetime.fromtimestamp(unix, timezone.utc)
    return when.isoformat(timespec="seconds") if style == "iso" else when.strftime("%Y-%m-%d %H:%M:%S")


def parse_multipart(content_type: str, body: bytes) -> dict[str, str] | None:
    """Form fields of a multipart/form-data body (via `email`, since `cgi` is gone in Python 3.13)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return None
    fields: dict[str, str] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        fields[name] = payload.decode(part.get_content_charset() or "utf-8", "replace")
    return fields


def _valid_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Affiliate:
    name = NAME

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.by_id: dict[str, Hlr] = {}
        self.by_reference: dict[str, Hlr] = {}

    def reset(self) -> None:
        self.by_id.clear()
        self.by_reference.clear()

    def error(self, status: int, message: str) -> Response:
        return _err(status, str(status), message)

    def counts_for_rate_limit(self, path: str) -> bool:
        return True

    def too_many_requests(self) -> Response:
        return Response.json(429, {"error": "429", "errorDescription": "Too many requests"})

    def handle(self, call: Call) -> Response:
        if call.headers.get("X-API-KEY") != AFF_KEY:
            return _err(401, "1", "Invalid API key")
        path = call.path.rstrip("/") or "/"
        prefix = next((p for p in self.emu.affiliate_path_prefixes if p and (path + "/").startswith(p + "/")), "")
        if prefix:
            path = path[len(prefix) :] or "/"
        elif "" not in self.emu.affiliate_path_prefixes:
            return _err(404, "404", "Not found")
        if path == "/hlr/create":
            if call.method not in ("PUT", "POST"):
                return _err(405, "405", "Method not allowed")
            return self.create(call)
        if call.method != "GET":
            return _err(405, "405", "Method not allowed")
        if path == "/hlr/prices":
            return self.prices("9")
        if path.startswith("/hlr/prices/"):
            return self.prices(path[len("/hlr/prices/") :])
        if path.startswith("/hlr/reference/") and self.emu.affiliate_poll_by_reference:
            with self.emu._lock:
                hlr = self.by_reference.get(path[len("/hlr/reference/") :])
            return self.poll(hlr)
        if path.startswith("/hlr/") and path.count("/") == 2:
            with self.emu._lock:
                hlr = self.by_id.get(path[len("/hlr/") :])
            return self.poll(hlr)
        return _err(404, "404", "Not found")

    # -- creation -------------------------------------------------------------------------------------------

    def create(self, call: Call) -> Response:
        ctype = call.headers.get("Content-Type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            return _err(400, "14", "Incorrect payload: multipart/form-data expected")
        fields = parse_multipart(ctype, call.body)
        if fields is None:
            return _err(400, "14", "Incorrect payload: unreadable multipart body")
        if "payload" in fields:
            return self._create_many(fields["payload"])
        return self._create_one(fields)

    @staticmethod
    def _check_item(item: Any) -> str | None:
        """The structural problem of one request item, if any (error 14 for the whole request)."""
        if not isinstance(item, dict):
            return "item is not an object"
        for key in ("msisdn", "reference"):
            value = item.get(key)
            if value is None or value == "":
                return f"missing {key}"
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                return f"invalid {key}"
        tariff = item.get("tariff")
        if tariff is not None and tariff != "" and not _TARIFF.fullmatch(str(tariff)):
            return "invalid tariff"
        return None

    def _create_one(self, fields: dict[str, str]) -> Response:
        problem = self._check_item(fields)
        if problem:
            return _err(400, "14", f"Incorrect payload: {problem}")
        with self.emu._lock:
            outcome = self._create_locked(fields)
        outcome.pop("reference")
        # The seed's single answer starts with "error": keep its order.
        answer = {"error": outcome.pop("error"), **outcome}
        return Response.json(400 if answer["error"] in ("11", "15") else 200, answer)

    def _create_many(self, raw: str) -> Response:
        try:
            items = json.loads(raw)
        except ValueError:
            return _err(400, "14", "Incorrect payload: not valid JSON")
        if not isinstance(items, list) or not items:
            return _err(400, "14", "Incorrect payload: a non-empty JSON array is expected")
        limit = self.emu.affiliate_max_batch
        if len(items) > limit:
            return _err(400, "14", f"Incorrect payload: at most {limit} items per request")
        for item in items:
            problem = self._check_item(item)
            if problem:
                # Error 14 creates nothing, not even the valid items.
                return _err(400, "14", f"Incorrect payload: {problem}")
        with self.emu._lock:
            results = [self._create_locked(item) for item in items]
        for r in results:
            if r["error"] == "13":
                # The docs' multiple answer prints this item's key with a leading space.
                r[" errorDescription"] = r.pop("errorDescription")
        created = sum(1 for r in results if r["error"] == "0")
        return Response.json(
            200,
            {"result": results, "error": "0", "totalprice": f"{PRICE * created:f}", "currency": "EUR"},
        )

    def _create_locked(self, item: dict[str, Any]) -> dict[str, str]:
        """Create one HLR (caller holds the lock); the answer item, reference first."""
        reference = str(item["reference"])
        msisdn = str(item["msisdn"])
        if not _REFERENCE.fullmatch(reference):
            return {"reference": reference, "error": "15", "errorDescription": "Invalid External ID"}
        existing = self.by_reference.get(reference)
        if existing is not None:
            return {
                "reference": reference,
                "id": existing.id,
                "error": "13",
                "errorDescription": "HLR already exists",
            }
        if not _MSISDN.fullmatch(msisdn):
            return {"reference": reference, "error": "11", "errorDescription": "Incorrect msisdn"}
        tariff = item.get("tariff")
        callback = item.get("callback_url")
        # An unusable callback_url is not an error: the account's configured URL is used instead (seed 003).
        callback = callback if _valid_url(callback) else self.emu.affiliate_callback_url
        hlr = Hlr(
            id=str(self.emu._next_affiliate_id()),
            reference=reference,
            msisdn=msisdn,
            tariff=int(tariff) if tariff not in (None, "") else 0,
            callback_url=callback,
            created=_datetime(self.emu.server_time(), self.emu.affiliate_datetime_style),
        )
        self.by_id[hlr.id] = hlr
        self.by_reference[reference] = hlr
        self.emu._charge(NAME, "HLR", "+" + msisdn)
        if callback:
            self._schedule_callback(hlr, callback)
        return {"reference": reference, "id": hlr.id, "error": "0", "price": f"{PRICE}", "currency": "EUR"}

    def _schedule_callback(self, hlr: Hlr, url: str) -> None:
        result = self.final_result(hlr)
        if self.emu.affiliate_callback_format == "form":
            details = result.pop("details")
            body = urlencode({**result, **details}).encode()
            ctype = "application/x-www-form-urlencoded"
        else:
            body, ctype = json.dumps(result).encode(), "application/json"
        self.emu._deliver(NAME, url, body, {"Content-Type": ctype}, strict_200=False)

    # -- results --------------------------------------------------------------------------------------------

    def final_result(self, hlr: Hlr) -> dict[str, Any]:
        e164 = "+" + hlr.msisdn
        i = data.info(e164)
        status = FINAL_STATUS[i.status]
        active = status == "active"
        network = {"active": i.mccmnc, "absent": i.mccmnc, "unknown": "unknown"}.get(status, "")
        return {
            "id": hlr.id,
            "reference": hlr.reference,
            "msisdn": hlr.msisdn,
            "network": network,
            "status": status,
            "details": {"ported": "1" if active and i.ported else "0", "roaming": "1" if active and i.roaming else "0"},
            "createdDatetime": hlr.created,
            "statusDatetime": hlr.created,
        }

    def poll(self, hlr: Hlr | None) -> Response:
        if hlr is None:
            return _err(404, "10", "HLR not found")
        with self.emu._lock:
            hlr.polls += 1
            pending = hlr.polls <= self.emu.affiliate_pending_polls
        result = self.final_result(hlr)
        if pending:
            result.update(status="sent", network="", details={"ported": "0", "roaming": "0"})
        return Response.json(200, result)

    def prices(self, tariff: str) -> Response:
        if not _TARIFF.fullmatch(tariff):
            return _err(400, "6", "Invalid tariff code")
        prices = [
            {
                "type": "hlr",
                "country": c.code,
                "country_name": c.name,
                "mcc": c.mcc,
                "price": f"{PRICE}",
                "currency": "EUR",
            }
            for c in data.COUNTRIES
        ]
        return Response.json(200, {"error": "0", "prices": prices})
