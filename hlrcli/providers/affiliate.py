"""affiliate-sms.com: asynchronous HLR (/hlr/create, multipart), polling by id or reference, price tables.

A `reference` is the provider's idempotency key (a repeat gets error 13 and is not billed), so we derive
references deterministically: repeating a command after a crash never pays twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from hlrcli import payloads
from hlrcli.config import Settings
from hlrcli.errors import AuthError, ProviderError, UsageError
from hlrcli.models import (
    ABSENT,
    CONNECTED,
    PENDING,
    UNDETERMINED,
    CallbackResult,
    Check,
    HlrResult,
    PriceRow,
    Submission,
)
from hlrcli.numbers import Number
from hlrcli.providers.base import HttpProvider, Pricer, ResultsBy, Runtime
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


REFERENCE = re.compile(r"[A-Za-z0-9]{1,32}")  # the provider's rule: at most 32 letters and digits
DEFAULT_TARIFF = 0
_NETWORK = re.compile(r"\d{5,6}")
_HLR_ID = re.compile(r"\d{1,20}")


def reference_for(msisdn: str, scope: str) -> str:
    """A stable reference for (scope, number): the same job or day always yields the same key (32 characters)."""
    return "h" + hashlib.sha256(f"{scope}:{msisdn}".encode()).hexdigest()[:31]


def check_reference(reference: str) -> str:
    if not REFERENCE.fullmatch(reference):
        raise UsageError(f"--reference {reference!r} must be 1 to 32 letters or digits (affiliate-sms.com's rule)")
    return reference


def check_hlr_id(hlr_id: str) -> str:
    """An HLR id goes into the URL path: digits only (the provider's ids are), never `../` or `?`."""
    if not _HLR_ID.fullmatch(hlr_id):
        raise UsageError(f"HLR id {hlr_id!r} must be digits (the id a submission returned)")
    return hlr_id


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
    bulk_kinds = frozenset({"hlr"})
    results_by = ResultsBy.POLL
    resend_free = True  # a resent reference is answered "already exists" and not billed again
    options = frozenset({"tariff", "callback_url", "reference"})
    callback_setup = "AFFILIATE_SMS_CALLBACK_URL (`hlrcli config set AFFILIATE_SMS_CALLBACK_URL URL`) or --callback-url"
    required = ("AFFILIATE_SMS_API_KEY",)
    base_setting = "AFFILIATE_SMS_BASE_URL"
    auth_hint = "check AFFILIATE_SMS_API_KEY; run `hlrcli doctor`"

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.key = settings.require("AFFILIATE_SMS_API_KEY", self.name)
        register([self.key])
        super().__init__(settings, runtime)
        self.chunk_size = int(settings.get_float("AFFILIATE_SMS_BATCH_SIZE") or 500)

    @staticmethod
    def is_refusal(body: Any) -> bool:
        # An error answer is {"error": "<code other than 0>", "errorDescription": ...}; nothing was created.
        return isinstance(body, dict) and str(body.get("error", "0")) not in ("0", "") and "result" not in body

    def client_options(self) -> dict[str, Any]:
        return {"headers": {"X-API-KEY": self.key}}

    def _checked(self, data: Any, what: str) -> dict[str, Any]:
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
        if len(items) == 1 and "result" not in data:
            return [self._submission(numbers[0], references[0], data)]
        self._checked(data, "/hlr/create")
        if not isinstance(data.get("result"), list):
            raise self.shape_error("/hlr/create", charged=True)
        by_ref = {str(r.get("reference")): r for r in data["result"] if isinstance(r, dict)}
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

    def references(self, numbers: Sequence[str], scope: str, **opts: Any) -> dict[str, str]:
        explicit = opts.get("reference")
        if explicit:
            if len(numbers) != 1:
                raise UsageError("--reference names one lookup: give one number with it")
            return {numbers[0]: check_reference(explicit)}
        return {n: reference_for(n, scope) for n in numbers}

    def submit(self, kind: str, numbers: Sequence[Number], *, scope: str, **opts: Any) -> list[Submission]:
        keys = self.references([n.e164 or n.raw for n in numbers], scope, **opts)
        references = [keys[n.e164 or n.raw] for n in numbers]
        return self.create(numbers, references, opts.get("tariff"), opts.get("callback_url"))

    def lookup_scope(self) -> str:
        return today_scope()  # same number, same day → same reference: repeating a lookup is free

    def check_status_key(self, hlr_id: str | None = None, reference: str | None = None) -> None:
        if reference is not None:
            check_reference(reference)
        else:
            check_hlr_id(hlr_id or "")

    def status(self, hlr_id: str | None = None, reference: str | None = None) -> HlrResult:
        self.check_status_key(hlr_id, reference)
        path = f"/hlr/reference/{reference}" if reference else f"/hlr/{hlr_id}"
        data = self._checked(self.http.request("GET", path, accept_statuses=READ_OWN_ERRORS), path)
        return result_from(data, self.name)

    def price_list(self, **opts: Any) -> list[PriceRow]:
        """The price table of a tariff: the one lookups use (0) unless asked (the API's own default is 9)."""
        tariff = opts.get("tariff")
        tariff = DEFAULT_TARIFF if tariff is None else tariff
        check_tariff(tariff)
        path = f"/hlr/prices/{tariff}"
        data = self._checked(self.http.request("GET", path, accept_statuses=READ_OWN_ERRORS), path)
        return [
            PriceRow(
                route_type=str(p.get("type") or "hlr").upper(),
                price=_s(p.get("price")),
                countrycode=p.get("country"),
                countryname=p.get("country_name"),
                mcc=_s(p.get("mcc")),
                route=f"tariff {tariff}",
                currency=p.get("currency"),
                provider=self.name,
            )
            for p in data.get("prices") or []
        ]

    def pricer(self, kind: str, options: Mapping[str, Any]) -> Pricer:
        try:
            table = self.price_list(tariff=options.get("tariff"))
        except ProviderError:
            table = []
        by_code: dict[str, float] = {}
        for row in table:
            for key in (row.countrycode, row.countryname):
                if key and row.price is not None:
                    by_code.setdefault(str(key).upper(), float(row.price))

        def price(region: str | None, sample: str) -> float | None:
            if region and region.upper() in by_code:
                return by_code[region.upper()]
            from hlrcli.numbers import country_name

            return by_code.get((country_name(region) or "").upper())

        return price

    def where_results(self, options: Mapping[str, Any]) -> str:
        return (
            "fetch results with `hlrcli status ID… -p affiliate` or `hlrcli jobs poll JOB`, or receive them at "
            "the callback URL"
        )

    @classmethod
    def parse_callback(cls, body: bytes, content_type: str | None) -> list[CallbackResult]:
        """Callbacks (format undocumented): the poll answer's shape, as JSON or form fields."""
        return [callback_result(item) for item in payloads.items(payloads.decode(body, content_type), "callbacks")]

    def doctor(self) -> Iterable[Check]:
        what = "API key accepted by /hlr/prices (affiliate has no auth-test endpoint)"
        checks, _, failure = self._probe(self.price_list, what)
        moved = isinstance(failure, ProviderError) and (failure.status == 404 or str(failure.code) == "404")
        if not moved:
            yield from checks
            return
        # Seed 003 puts the API at /hlr/create; the provider's general page at /rest/{module}/{function}.
        base = self.http.base_url
        self.http.base_url = base + "/rest"
        try:
            alt, _, _ = self._probe(self.price_list, what)
        finally:
            self.http.base_url = base
        if all(c.status == "ok" for c in alt):
            yield Check(self.name, "base URL", "warn",
                        f"{base}/hlr/prices answered 404 but {base}/rest/hlr/prices works: "
                        f"set AFFILIATE_SMS_BASE_URL={base}/rest")  # fmt: skip
            yield from alt
        else:
            yield Check(self.name, "base URL", "fail", f"{base}/hlr/prices and {base}/rest/hlr/prices answered 404")


def result_from(data: dict[str, Any], provider: str = "affiliate") -> HlrResult:
    """An affiliate result (poll answer or callback) on the common HLR fields, the raw status kept."""
    raw = str(data.get("status") or "").lower() or None
    details = data.get("details") or {}
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            details = {}
    raw_network = (_s(data.get("network")) or "").strip() or None  # "" while pending
    # An MCC+MNC is 5 or 6 digits; anything else ("unknown") says the network is not known.
    network = raw_network if raw_network and _NETWORK.fullmatch(raw_network) else None
    msisdn = _s(data.get("msisdn")) or ""
    # "details – complete information is available if the status is active": any other status's flags
    # (status `unknown` comes with "0"/"0") are no statement about the number.
    complete = raw == "active"
    return HlrResult(
        msisdn=msisdn if not msisdn or msisdn.startswith("+") else "+" + msisdn,
        id=_s(data.get("id")),
        reference=_s(data.get("reference")),
        connectivity_status=STATUS.get(raw or "", UNDETERMINED),
        mccmnc=network,
        mcc=network[:3] if network else None,
        mnc=network[3:] if network else None,
        is_ported=_flag(details.get("ported")) if complete else None,
        is_roaming=_flag(details.get("roaming")) if complete else None,
        timestamp=_s(data.get("statusDatetime") or data.get("createdDatetime")),
        raw_status=raw,
        raw_network=raw_network if network is None else None,
        provider=provider,
    )


def _flag(value: Any) -> bool | None:
    return None if value in (None, "") else str(value) in ("1", "true", "True")


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


# The poll answer's fields (what `result_from` reads), looked up case-insensitively in a callback.
CALLBACK_FIELDS = ("id", "reference", "msisdn", "network", "status", "details", "createdDatetime", "statusDatetime")


def callback_result(item: Mapping[str, Any]) -> CallbackResult:
    f = payloads.lower_keys(item)
    data = {name: f.get(name.lower()) for name in CALLBACK_FIELDS}
    if not isinstance(data["details"], dict | str):
        # Form callbacks flatten `details` into top-level ported/roaming fields.
        data["details"] = {k: f[k] for k in ("ported", "roaming") if k in f}
    hlr_id, reference = payloads.text(data["id"]), payloads.text(data["reference"])
    if not hlr_id and not reference:
        raise payloads.PayloadError("an affiliate callback needs id or reference")
    record = result_from({**data, "id": hlr_id, "reference": reference})
    number = payloads.e164(record.msisdn)
    if number and record.msisdn != number:
        record = replace(record, msisdn=number)
    # The status is part of the key: an interim "sent" must not make the final callback a duplicate.
    key = f"{hlr_id or 'reference:' + (reference or '')}:{record.raw_status or ''}"
    return CallbackResult(
        provider="affiliate",
        result_key=key,
        kind="hlr",
        number=number,
        result={**payloads.record_dict(record), "raw": dict(item)},
        match={"sub_id": hlr_id, "reference": reference},
        final=record.connectivity_status != PENDING,
    )
