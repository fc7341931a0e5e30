"""SMS Partner API v1: asynchronous HLR (/hlr/notify), free format check (/lookup), credits, contact rental.

The API key travels in JSON bodies and query strings, so it is registered for redaction before any request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from hlrcli.config import Settings
from hlrcli.errors import AuthError, ConfigError, ProviderError, UsageError
from hlrcli.models import Balance, Check, Receipt, RentalStatus, Submission, Validation
from hlrcli.numbers import Number
from hlrcli.providers.base import HttpProvider, Runtime
from hlrcli.redact import register

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
    capabilities: ClassVar[dict[str, str]] = {
        "lookup": "async",
        "validate": "free",
        "balance": "yes",
        "rental-status": "yes",
        "batch": "hlr (async)",
    }
    async_types = frozenset({"hlr"})
    chunk_size = CHUNK
    required = ("SMSPARTNER_API_KEY",)
    base_setting = "SMSPARTNER_BASE_URL"
    auth_hint = "check SMSPARTNER_API_KEY; run `hlrcli doctor`"

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.key = settings.require("SMSPARTNER_API_KEY", self.name)
        register([self.key])
        super().__init__(settings, runtime)

    def client_options(self) -> dict[str, Any]:
        # The documented limit is 360/min on the verification endpoints; we pace below it so loops never see 429.
        own = self.settings.get_float("SMSPARTNER_MAX_RPM") or RATE_LIMIT
        asked = self.runtime.per_minute
        if asked and asked < own:
            return {"per_minute": asked}  # --rate: an even pace, as asked
        # Half the margin between our pace and the limit may be used to catch up after a late request.
        return {"per_minute": own, "burst": max(0, int(RATE_LIMIT - own) // 2)}

    def _checked(self, data: Any, what: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ProviderError(f"smspartner: unexpected answer to {what}")
        if data.get("success") is False or (data.get("code") not in (None, 200, "200")):
            code = _int(data.get("code"))
            text = data.get("message") or ERRORS.get(code or -1) or "request failed"
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
        return Receipt(
            campaign_id=data.get("campaign_id"),
            numbers=tuple(n.e164 or "" for n in numbers),
            count=_int(data.get("number")),
            cost=data.get("cost"),
            currency=data.get("currency"),
            notify_url=notify_url,
            provider=self.name,
        )

    def submit(self, kind: str, numbers: Sequence[Number], **opts: Any) -> list[Submission]:
        receipt = self.notify(numbers, opts.get("notify_url"), opts.get("tag"))
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
                        number=number.raw,
                        valid=ok,
                        reason=None if ok else (item.get("message") or "rejected by smspartner"),
                        type=item.get("type"),
                        country=item.get("countryCode"),
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
            credit_sms_eco=_str(_first(credits, "creditSmsECO", "creditSmsEco", "credit_sms_eco")),
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

    def doctor(self) -> Iterable[Check]:
        checks, balance = self._probe(self.balance, "API key accepted by /me")
        yield from checks
        if balance is not None:
            yield Check(
                self.name,
                "balance",
                "ok",
                f"{balance.balance} {balance.currency}, HLR credits {balance.credit_hlr}",
            )


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
