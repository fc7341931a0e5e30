"""SMS Partner API v1: asynchronous HLR (/hlr/notify), free format check (/lookup), credits, contact rental.

The API key travels in JSON bodies and query strings, so it is registered for redaction before any request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hlrcli import payloads
from hlrcli.config import Settings
from hlrcli.errors import AuthError, ConfigError, ProviderError, UsageError
from hlrcli.models import (
    ABSENT,
    CONNECTED,
    INVALID_MSISDN,
    UNDETERMINED,
    Balance,
    CallbackResult,
    Check,
    HlrResult,
    Receipt,
    RentalStatus,
    Submission,
    Validation,
)
from hlrcli.numbers import Number
from hlrcli.providers.base import HttpProvider, Runtime
from hlrcli.redact import mask_url_token, register

CHUNK = 500
RATE_LIMIT = 360  # requests per minute on the verification endpoints (documented; 429 above)
TAG_MAX = 20
ERRORS = {
    1: "API key required",
    2: "phone number required",
    3: "numbers must be comma-separated",
    10: "invalid API key",
    31: "rental token required",
    32: "rental not found",
}
RENTAL_STATUS = {
    0: "request made",
    1: "file being generated",
    2: "file ready",
    3: "rental failed",
    5: "file already downloaded",
}
# The answer carries only the status text (seed 002), worded differently from the code table at times
# ("File downloaded by user from api" for 5): the code is recovered from words that tell the states apart.
RENTAL_STATUS_WORDS = (
    ("fail", 3),
    ("downloaded", 5),  # before "ready": "already downloaded" contains it
    ("ready", 2),
    ("generat", 1),
    ("made", 0),
)
# Answers come back as HTTP 200 with success:false, or as 4xx with the same JSON: read both ourselves.
READ_OWN_ERRORS = frozenset({400, 401, 403, 404, 422})


def _first(mapping: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if mapping.get(key) not in (None, ""):
            return mapping[key]
    return None


class SmsPartner(HttpProvider):
    name = "smspartner"
    title = "SMS Partner API v1"
    bulk_kinds = frozenset({"hlr"})
    options = frozenset({"notify_url", "tag"})
    chunk_size = CHUNK
    callback_setup = "SMSPARTNER_NOTIFY_URL (`hlrcli config set SMSPARTNER_NOTIFY_URL URL`) or --notify-url"
    required = ("SMSPARTNER_API_KEY",)
    base_setting = "SMSPARTNER_BASE_URL"
    auth_hint = "check SMSPARTNER_API_KEY; run `hlrcli doctor`"

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.key = settings.require("SMSPARTNER_API_KEY", self.name)
        register([self.key])
        super().__init__(settings, runtime)
        self._answered_receipts: dict[str, Receipt] = {}  # this process's /hlr/notify answers, by campaign

    @staticmethod
    def is_refusal(body: Any) -> bool:
        # Every answer carries success and code; an error says success:false with its own code.
        return isinstance(body, dict) and body.get("success") is False

    def client_options(self) -> dict[str, Any]:
        # The documented limit is 360/min on the verification endpoints; we pace below it so loops never see 429.
        own = self.settings.get_float("SMSPARTNER_MAX_RPM") or RATE_LIMIT
        asked = self.runtime.per_minute
        if asked and asked < own:
            return {"per_minute": asked}  # --rate: an even pace, as asked
        # Half the margin between our pace and the limit may be used to catch up after a late request.
        return {"per_minute": own, "burst": max(0, int(RATE_LIMIT - own) // 2)}

    def _checked(self, data: Any, what: str) -> dict[str, Any]:
        if data.get("success") is False or (data.get("code") not in (None, 200, "200")):
            code = _int(data.get("code"))
            # A validation error (code 9) has no `message`, only an `error` list: its words are the diagnosis.
            words = [w for w in (_str(data.get("message")), _error_details(data.get("error"))) if w]
            text = ": ".join(words) or ERRORS.get(code or -1) or "request failed"
            message = f"smspartner: {text} (code {code})"
            if code == 10:
                raise AuthError(message, hint=self.auth_hint)
            if code == 1:
                raise ConfigError(message, hint="set SMSPARTNER_API_KEY")
            raise ProviderError(message, code=code)
        return data

    def _post(self, path: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
        data = self.http.request(
            "POST", path, json={"apiKey": self.key, **payload}, accept_statuses=READ_OWN_ERRORS, **kw
        )
        return self._checked(data, path)

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        data = self.http.request("GET", path, params={"apiKey": self.key, **params}, accept_statuses=READ_OWN_ERRORS)
        return self._checked(data, path)

    def notify(self, numbers: Sequence[Number], notify_url: str | None = None, tag: str | None = None) -> Receipt:
        """One /hlr/notify request (at most 500 numbers): billed now, results POSTed to notifyUrl later."""
        if tag is not None and len(tag) > TAG_MAX:
            raise UsageError(f"--tag is limited to {TAG_MAX} characters by SMS Partner ({len(tag)} given)")
        if len(numbers) > CHUNK:
            raise UsageError(f"smspartner takes at most {CHUNK} numbers per request")
        notify_url = notify_url or self.settings.get("SMSPARTNER_NOTIFY_URL")
        payload: dict[str, Any] = {"phoneNumbers": ",".join(n.e164 or "" for n in numbers)}
        if notify_url:
            payload["notifyUrl"] = notify_url
        if tag:
            payload["tag"] = tag
        data = self._post("/hlr/notify", payload, charged=True, replays=0)
        if data.get("success") is not True and data.get("campaign_id") is None:
            raise self.shape_error("/hlr/notify", charged=True)
        return Receipt(
            campaign_id=data.get("campaign_id"),
            numbers=tuple(n.e164 or "" for n in numbers),
            count=_int(data.get("number")),
            cost=data.get("cost"),
            currency=data.get("currency"),
            notify_url=mask_url_token(notify_url),
            provider=self.name,
        )

    def submit(self, kind: str, numbers: Sequence[Number], *, scope: str, **opts: Any) -> list[Submission]:
        receipt = self.notify(numbers, opts.get("notify_url"), opts.get("tag"))
        if receipt.campaign_id is not None:
            self._answered()[receipt.campaign_id] = receipt
        # Per-number shares for the journal (a job's cost adds them up); the receipt keeps the provider's total.
        share = f"{float(receipt.cost) / len(numbers):.4f}" if receipt.cost is not None and numbers else None
        return [
            Submission(
                msisdn=n.e164 or "",
                state="SUBMITTED",
                id=receipt.campaign_id,
                cost=share,
                currency=receipt.currency,
                provider=self.name,
            )
            for n in numbers
        ]

    def validate(self, numbers: Sequence[Number]) -> list[Validation]:
        out: list[Validation] = []
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start : start + CHUNK]
            data = self._post("/lookup", {"phoneNumbers": ",".join(n.e164 or n.raw for n in chunk)})
            items = data.get("lookup") or []
            for number, item in zip(chunk, items + [{}] * (len(chunk) - len(items)), strict=False):
                fmt = item.get("format") or {}
                ok = bool(item.get("success"))
                out.append(
                    Validation(
                        msisdn=number.raw,
                        valid=ok,
                        reason=None if ok else (item.get("message") or "rejected by smspartner"),
                        type=_TYPES.get(str(item.get("type") or "").strip().lower(), item.get("type")),
                        country=_region(fmt.get("e164")) or number.region or item.get("countryCode"),
                        e164=fmt.get("e164"),
                        international=fmt.get("international"),
                        national=fmt.get("national"),
                        network=item.get("network"),
                        provider=self.name,
                    )
                )
        return out

    def balance(self) -> Balance:
        data = self._get("/me")
        credits = data.get("credits") or data
        return Balance(
            balance=_str(_first(credits, "balance", "solde")),
            currency=_first(credits, "currency", "devise") or "EUR",
            credit_hlr=_str(_first(credits, "creditHlr", "creditHLR", "credit_hlr", "hlr")),
            credit_sms=_str(_first(credits, "creditSms", "creditSMS", "credit_sms", "sms")),
            # The public docs spell it creditSmsECO; the Go SDK's test data creditSmsLowCost.
            credit_sms_eco=_str(
                _first(
                    credits, "creditSmsECO", "creditSmsEco", "creditSmsLowCost", "credit_sms_eco", "credit_sms_low_cost"
                )
            ),
            to_send=_str(_first(credits, "toSend", "to_send")),
            provider=self.name,
        )

    def rental_status(self, token: str) -> RentalStatus:
        data = self._get("/location/status", token=token)
        loc = data.get("location") or {}
        cost = loc.get("cost") or {}
        details = loc.get("details_localisation") or []
        code = _int(_first(data, "statusCode", "status_code"))
        text = data.get("status")
        if code is None and _int(text) is not None:
            code, text = _int(text), RENTAL_STATUS.get(_int(text) or -1)
        if code is None and isinstance(text, str):
            code = _rental_code(text)
        file = data.get("file") or {}
        return RentalStatus(
            token=data.get("token") or token,
            status_code=code,
            status=_str(text),
            meaning=RENTAL_STATUS.get(code) if code is not None else None,
            category=_str(loc.get("category")),
            interest=_str(loc.get("interest")),
            sexe=_str(loc.get("sexe")),
            min_age=_str(loc.get("minAge")),
            max_age=_str(loc.get("maxAge")),
            zipcode=_str(loc.get("zipcode")),
            locations=tuple(f"{d.get('Type')}:{d.get('Location')}" for d in details),
            volume_desired=sum(_int(d.get("VolumeDesired")) or 0 for d in details) if details else None,
            volume=sum(_int(d.get("Volume")) or 0 for d in details) if details else None,
            quantity=_str(cost.get("quantity")),
            cost_unity=_str(cost.get("cost_unity")),
            cost_total=_str(cost.get("total")),
            file=_str(file.get("phoneNumbers") if isinstance(file, dict) else file),
            provider=self.name,
        )

    def where_results(self, options: Mapping[str, Any]) -> str:
        url = options.get("notify_url") or self.settings.get("SMSPARTNER_NOTIFY_URL")
        if url:
            return f"SMS Partner will POST each result to {mask_url_token(url)} (`hlrcli webhook serve`)"
        return "no notify URL was given, so SMS Partner results will not reach hlrcli (see `hlrcli webhook url`)"

    receipt_type = Receipt

    def receipts(self, submissions: list[Submission], options: Mapping[str, Any]) -> list[Any]:
        """One receipt per SMS Partner campaign (one campaign per request of up to 500 numbers)."""
        notify_url = options.get("notify_url") or self.settings.get("SMSPARTNER_NOTIFY_URL")
        campaigns: dict[str | None, list[Submission]] = {}
        for sub in submissions:
            campaigns.setdefault(sub.id, []).append(sub)
        answered = self._answered()
        out = []
        for campaign, subs in campaigns.items():
            errors = sorted({s.error for s in subs if s.error})
            # The provider's own count, total and currency when this process got the answer: the shares
            # re-added are rounded (0.005 over 3 numbers journals 0.0017 each) and know nothing of `number`.
            own = answered.get(campaign) if campaign else None
            count: int | None = len(subs)
            cost: float | str | None = None
            currency: str | None = None
            if own is not None:
                count, cost, currency = own.count if own.count is not None else count, own.cost, own.currency
            elif campaign:
                cost = round(sum(float(s.cost or 0) for s in subs), 4)
                currency = next((s.currency for s in subs if s.currency), None)
            out.append(
                Receipt(
                    campaign_id=campaign,
                    numbers=tuple(s.msisdn for s in subs),
                    count=count,
                    cost=cost,
                    currency=currency,
                    notify_url=mask_url_token(notify_url),
                    provider=self.name,
                    error="; ".join(errors) or None,
                )
            )
        return out

    def _answered(self) -> dict[str, Receipt]:
        """The /hlr/notify answers of this process by campaign (the journal keeps only per-number shares)."""
        return self._answered_receipts

    @classmethod
    def parse_callback(cls, body: bytes, content_type: str | None) -> list[CallbackResult]:
        """notifyUrl notifications: one per number, form-encoded or JSON (a JSON list is accepted)."""
        return [callback_result(item) for item in payloads.items(payloads.decode(body, content_type), "notifications")]

    def doctor(self) -> Iterable[Check]:
        checks, balance, _ = self._probe(self.balance, "API key accepted by /me")
        yield from checks
        if balance is not None:
            yield Check(
                self.name,
                "balance",
                "ok",
                f"{balance.balance} {balance.currency}, HLR credits {balance.credit_hlr}",
            )


# /lookup's `type` in the vocabulary of libphonenumber's types (what `validate -p offline` reports).
_TYPES = {
    "mobile": "MOBILE",
    "fixed line": "LANDLINE",
    "landline": "LANDLINE",
    "fixed line or mobile": "MOBILE_OR_LANDLINE",
    "mobile or landline": "MOBILE_OR_LANDLINE",
    "toll free": "TOLL_FREE",
    "premium rate": "PREMIUM_RATE",
    "shared cost": "SHARED_COST",
    "voip": "VOIP",
    "personal number": "PERSONAL_NUMBER",
    "pager": "PAGER",
    "uan": "UAN",
    "voicemail": "VOICEMAIL",
    "unknown": "UNKNOWN",
}
# HLR error groups (errorGrpId) on the common connectivity status; the group, its name and text are kept too.
STATUS_BY_GROUP = {0: CONNECTED, 1: INVALID_MSISDN, 6: ABSENT, 27: ABSENT}


def callback_result(item: Mapping[str, Any]) -> CallbackResult:
    f = payloads.lower_keys(item)
    phone, message_id, date = (
        payloads.text(f.get("phone")),
        payloads.text(f.get("messageid")),
        payloads.text(f.get("date")),
    )
    if not phone and not message_id:
        raise payloads.PayloadError("an SMS Partner notification needs phone or messageId")
    number = payloads.e164(phone)
    group = payloads.integer(f.get("errorgrpid"))
    mccmnc = payloads.text(f.get("mccmnc"))
    record = HlrResult(
        msisdn=number or phone or "",
        id=message_id,
        connectivity_status=STATUS_BY_GROUP.get(group, UNDETERMINED) if group is not None else UNDETERMINED,
        mccmnc=mccmnc,
        mcc=mccmnc[:3] if mccmnc else None,
        mnc=(mccmnc[3:] or None) if mccmnc else None,
        is_ported=payloads.yes_no(f.get("ported")),
        error_code=group if group is not None else payloads.text(f.get("errorgrpid")),
        error_description=payloads.text(f.get("errordesc")),
        raw_status=payloads.text(f.get("errorname")),
        timestamp=date,
        provider="smspartner",
    )
    return CallbackResult(
        provider="smspartner",
        result_key=message_id or f"{number or phone}|{date or ''}",
        kind="hlr",
        number=number,
        result=payloads.record_dict(record),
        match={"number": number},
    )


ERROR_DETAILS_SHOWN = 10  # a one-line error: the first few of the provider's messages, then how many more
_ELEMENT = re.compile(r"children\[([^\]]+)\]")


def _error_details(errors: Any) -> str | None:
    """An `error` list (`[{elementId, message}, …]`, Go SDK fixture) as one line: `field: message; …`."""
    if isinstance(errors, Mapping):
        errors = [{"elementId": k, "message": v} for k, v in errors.items()]
    elif errors is None or isinstance(errors, bool):
        return None
    elif not isinstance(errors, list):
        return _str(errors) or None
    parts = []
    for item in errors:
        if not isinstance(item, Mapping):
            parts.append(str(item))
            continue
        element = _str(item.get("elementId")) or ""
        field = _ELEMENT.search(element)
        name = field.group(1) if field else element
        text = _str(item.get("message")) or ""
        parts.append(f"{name}: {text}" if name and text else name or text)
    parts = [p for p in parts if p]
    more = len(parts) - ERROR_DETAILS_SHOWN
    shown = "; ".join(parts[:ERROR_DETAILS_SHOWN])
    return f"{shown}; and {more} more" if more > 0 else shown or None


def _region(e164: Any) -> str | None:
    """The ISO code of a number SMS Partner formatted (its `countryCode` is a country name, in French at times)."""
    if not isinstance(e164, str) or not e164.startswith("+"):
        return None
    from hlrcli.numbers import normalise

    return normalise(e164).region


def _rental_code(text: str) -> int | None:
    low = text.lower()
    return next((code for word, code in RENTAL_STATUS_WORDS if word in low), None)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
