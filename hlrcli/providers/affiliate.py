"""affiliate-sms.com: asynchronous HLR (/hlr/create, multipart), polling by id or reference, price tables.

A `reference` is the provider's idempotency key (a repeat gets error 13 and is not billed), so we derive
references deterministically: repeating a command after a crash never pays twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar

from hlrcli.config import Settings
from hlrcli.errors import AuthError, ProviderError, UsageError
from hlrcli.models import (
    ABSENT,
    CONNECTED,
    PENDING,
    UNDETERMINED,
    Check,
    HlrResult,
    PriceRow,
    Submission,
)
from hlrcli.numbers import Number
from hlrcli.providers.base import HttpProvider, Runtime
from hlrcli.redact import register

STATUS = {
    "active": CONNECTED,
    "absent": ABSENT,
    "unknown": UNDETERMINED,
    "failed": UNDETERMINED,
    "sent": PENDING,
}
READ_OWN_ERRORS = frozenset({400, 404, 409, 422})
SUBMITTED, ALREADY, REJECTED = "SUBMITTED", "ALREADY_SUBMITTED", "REJECTED"


def reference_for(msisdn: str, scope: str) -> str:
    """A stable reference for (scope, number): the same job or day always yields the same key."""
    digest = hashlib.sha256(f"{scope}:{msisdn}".encode()).hexdigest()[:24]
    return f"hlrcli-{digest}"


def today_scope() -> str:
    return "day-" + datetime.now(timezone.utc).strftime("%Y-%m-%d")


def _digits(number: Number) -> str:
    return (number.e164 or number.raw).lstrip("+")


def check_tariff(tariff: int | None) -> None:
    if tariff is not None and not 0 <= tariff <= 9:
        raise UsageError(f"--tariff must be an integer from 0 to 9, not {tariff}")


class Affiliate(HttpProvider):
    name = "affiliate"
    title = "affiliate-sms.com"
    capabilities: ClassVar[dict[str, str]] = {
        "lookup": "async",
        "status": "yes",
        "price": "yes",
        "batch": "hlr (async)",
    }
    async_types = frozenset({"hlr"})
    required = ("AFFILIATE_SMS_API_KEY",)
    base_setting = "AFFILIATE_SMS_BASE_URL"
    auth_hint = "check AFFILIATE_SMS_API_KEY; run `hlrcli doctor`"

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.key = settings.require("AFFILIATE_SMS_API_KEY", self.name)
        register([self.key])
        super().__init__(settings, runtime)
        self.chunk_size = int(settings.get_float("AFFILIATE_SMS_BATCH_SIZE") or 500)

    def client_options(self) -> dict[str, Any]:
        return {"headers": {"X-API-KEY": self.key}}

    def _checked(self, data: Any, what: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ProviderError(f"affiliate: unexpected answer to {what}")
        code = str(data.get("error", "0"))
        if code in ("0", ""):
            return data
        text = data.get("errorDescription") or data.get(" errorDescription") or "request failed"
        if code == "1":
            raise AuthError(f"affiliate: {text} (error {code})", hint=self.auth_hint)
        if code == "14":
            raise ProviderError(f"affiliate: {text} (error 14: nothing was created)", code=14)
        raise ProviderError(f"affiliate: {text} (error {code})", code=code)

    def create(
        self,
        numbers: Sequence[Number],
        references: Sequence[str],
        tariff: int | None = None,
        callback_url: str | None = None,
    ) -> list[Submission]:
        """One /hlr/create request. Resubmitted references come back ALREADY_SUBMITTED, unbilled."""
        check_tariff(tariff)
        callback_url = callback_url or self.settings.get("AFFILIATE_SMS_CALLBACK_URL")
        items = []
        for number, ref in zip(numbers, references, strict=True):
            item: dict[str, Any] = {"msisdn": _digits(number), "reference": ref}
            if tariff is not None:
                item["tariff"] = tariff
            if callback_url:
                item["callback_url"] = callback_url
            items.append(item)
        if len(items) == 1:
            fields = {k: (None, str(v)) for k, v in items[0].items()}
        else:
            fields = {"payload": (None, json.dumps(items))}
        # Billed, but the reference makes a resend free, so one replay after a lost answer is safe.
        data = self.http.request(
            "PUT", "/hlr/create", files=fields, charged=True, replays=1, accept_statuses=READ_OWN_ERRORS
        )
        if not isinstance(data, dict):
            raise ProviderError("affiliate: unexpected answer to /hlr/create")
        if len(items) == 1 and "result" not in data:
            return [self._submission(numbers[0], references[0], data)]
        self._checked(data, "/hlr/create")
        by_ref = {str(r.get("reference")): r for r in data.get("result") or []}
        return [self._submission(n, ref, by_ref.get(ref, {})) for n, ref in zip(numbers, references, strict=True)]

    def _submission(self, number: Number, reference: str, item: dict[str, Any]) -> Submission:
        code = str(item.get("error", "0" if item else "missing"))
        base = {"msisdn": number.e164 or number.raw, "reference": reference, "provider": self.name}
        if code == "0":
            return Submission(
                state=SUBMITTED,
                id=_s(item.get("id")),
                cost=_s(item.get("price")),
                currency=item.get("currency"),
                **base,
            )
        if code == "13":
            # Billed when first submitted; what it cost then is not in this answer.
            return Submission(state=ALREADY, id=_s(item.get("id")), **base)
        if code in ("1", "14"):
            self._checked(item, "/hlr/create")
        text = item.get("errorDescription") or item.get(" errorDescription") or "not in the answer"
        return Submission(state=REJECTED, error=f"{text} (error {code})", **base)

    def submit(self, kind: str, numbers: Sequence[Number], **opts: Any) -> list[Submission]:
        scope = opts.get("scope") or today_scope()
        chosen = opts.get("reference_map") or {}  # explicit references (`lookup --reference`) by number
        references = [chosen.get(n.e164 or n.raw) or reference_for(n.e164 or n.raw, scope) for n in numbers]
        return self.create(numbers, references, opts.get("tariff"), opts.get("callback_url"))

    def status(self, hlr_id: str | None = None, reference: str | None = None) -> HlrResult:
        path = f"/hlr/reference/{reference}" if reference else f"/hlr/{hlr_id}"
        data = self._checked(self.http.request("GET", path, accept_statuses=READ_OWN_ERRORS), path)
        return result_from(data, self.name)

    def prices(self, tariff: int | None = None) -> list[PriceRow]:
        check_tariff(tariff)
        path = "/hlr/prices" if tariff is None else f"/hlr/prices/{tariff}"
        data = self._checked(self.http.request("GET", path, accept_statuses=READ_OWN_ERRORS), path)
        return [
            PriceRow(
                route_type=str(p.get("type") or "hlr").upper(),
                price=_s(p.get("price")),
                countrycode=p.get("country"),
                countryname=p.get("country_name"),
                mcc=_s(p.get("mcc")),
                route=None if tariff is None else f"tariff {tariff}",
                currency=p.get("currency"),
                provider=self.name,
            )
            for p in data.get("prices") or []
        ]

    def doctor(self) -> Iterable[Check]:
        checks, _ = self._probe(
            lambda: self.prices(0), "API key accepted by /hlr/prices (affiliate has no auth-test endpoint)"
        )
        yield from checks


def result_from(data: dict[str, Any], provider: str = "affiliate") -> HlrResult:
    """An affiliate result (poll answer or callback) on the common HLR fields, the raw status kept."""
    raw = str(data.get("status") or "").lower() or None
    details = data.get("details") or {}
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            details = {}
    network = _s(data.get("network")) or None  # "" while pending
    msisdn = _s(data.get("msisdn")) or ""
    return HlrResult(
        msisdn=msisdn if not msisdn or msisdn.startswith("+") else "+" + msisdn,
        id=_s(data.get("id")),
        reference=_s(data.get("reference")),
        connectivity_status=STATUS.get(raw or "", UNDETERMINED),
        mccmnc=network,
        mcc=network[:3] if network else None,
        mnc=network[3:] if network else None,
        is_ported=_flag(details.get("ported")),
        is_roaming=_flag(details.get("roaming")),
        timestamp=_s(data.get("statusDatetime") or data.get("createdDatetime")),
        raw_status=raw,
        provider=provider,
    )


def _flag(value: Any) -> bool | None:
    return None if value in (None, "") else str(value) in ("1", "true", "True")


def _s(value: Any) -> str | None:
    return None if value is None else str(value)
