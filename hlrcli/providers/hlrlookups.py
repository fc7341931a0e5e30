"""hlr-lookups.com API v2: HLR, MNP and NT lookups (single and bulk), routing, prices, coverage, account."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hlrcli import payloads
from hlrcli.config import Settings
from hlrcli.errors import AuthError, HlrcliError, ProviderError
from hlrcli.models import (
    Balance,
    CallbackResult,
    Check,
    Country,
    CoverageRoute,
    HlrResult,
    MnpResult,
    Network,
    NtResult,
    Price,
    PriceRow,
    RouteAdvice,
    RouteEntry,
    RoutingRule,
    Submission,
    build,
)
from hlrcli.numbers import Number
from hlrcli.providers.base import HttpProvider, Pricer, Runtime

if TYPE_CHECKING:  # requests loads when a request is made, not for `providers` or `--help`
    import requests

# kind -> (single endpoint, bulk endpoint, single body key, bulk body key, result class)
ENDPOINTS: dict[str, tuple[str, str, str, str, type]] = {
    "hlr": ("/hlr-lookup", "/hlr-lookups", "msisdn", "msisdns", HlrResult),
    "mnp": ("/mnp-lookup", "/mnp-lookups", "msisdn", "msisdns", MnpResult),
    "nt": ("/nt-lookup", "/nt-lookups", "number", "numbers", NtResult),
}
CLOCK_WINDOW = 30


def digest_signature(secret: str, path: str, timestamp: str, method: str, body: bytes) -> str:
    msg = path.lower().encode() + timestamp.encode() + method.upper().encode() + body
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


class HlrLookupsAuth:
    """Digest (HMAC of path, timestamp, method and the exact body) or the hashed X-Basic header: a callable
    requests runs on each prepared request (its AuthBase protocol)."""

    def __init__(self, key: str, secret: str, mode: str, base_url: str) -> None:
        self.key, self.secret, self.mode = key, secret, mode
        self.base_path = urlsplit(base_url).path.rstrip("/")
        self.clock_offset = 0.0

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.mode == "basic":
            r.headers["X-Basic"] = hashlib.sha256(f"{self.key}:{self.secret}".encode()).hexdigest()
            return r
        path = urlsplit(r.url or "").path
        if path.startswith(self.base_path):
            path = path[len(self.base_path) :]
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp = str(int(time.time() + self.clock_offset))
        r.headers["X-Digest-Key"] = self.key
        r.headers["X-Digest-Timestamp"] = timestamp
        r.headers["X-Digest-Signature"] = digest_signature(self.secret, path, timestamp, r.method or "GET", body)
        return r


class HlrLookups(HttpProvider):
    name = "hlrlookups"
    title = "hlr-lookups.com API v2"
    bulk_kinds = frozenset({"hlr", "mnp", "nt"})
    signed_callbacks = True
    options = frozenset({"route", "storage"})
    chunk_size = 1000
    callback_setup = "hlr-lookups.com account, API settings page: webhook URL (signed with your key and secret)"
    required = ("HLR_LOOKUPS_API_KEY", "HLR_LOOKUPS_API_SECRET")
    base_setting = "HLR_LOOKUPS_BASE_URL"
    auth_hint = "check HLR_LOOKUPS_API_KEY and HLR_LOOKUPS_API_SECRET; run `hlrcli doctor`"

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self._auth = HlrLookupsAuth(
            settings.require("HLR_LOOKUPS_API_KEY", self.name),
            settings.require("HLR_LOOKUPS_API_SECRET", self.name),
            settings.get("HLR_LOOKUPS_AUTH") or "digest",
            settings.get(self.base_setting) or "",
        )
        self._clock_lock = threading.Lock()
        self._clock_synced = False
        super().__init__(settings, runtime)

    @staticmethod
    def is_refusal(body: Any) -> bool:
        # Every error of this API is {"errors": ["..."]}: the provider itself answered, and processed nothing.
        return isinstance(body, dict) and isinstance(body.get("errors"), list) and bool(body["errors"])

    def client_options(self) -> dict[str, Any]:
        return {"auth": self._auth}

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        synced_before = self._clock_synced
        try:
            return self.http.request(method, path, **kw)
        except AuthError:
            # A 401 under digest is most often a wrong clock: correct it from /time once, then try again.
            if self._auth.mode != "digest" or not self._sync_clock(synced_before):
                raise
            return self.http.request(method, path, **kw)

    def _sync_clock(self, synced_before: bool = False) -> bool:
        """True if a retry is worth it: the offset was measured now, or after this request was signed."""
        with self._clock_lock:
            if self._clock_synced:
                # Concurrent lookups all fail on a wrong clock: one measures it, the others retry with it.
                return not synced_before
            offset = self.server_time() - time.time()
            self._auth.clock_offset = offset
            # Only now: a request that sees the flag set must also have been signed with the new offset.
            self._clock_synced = True
            if abs(offset) > CLOCK_WINDOW:
                self.runtime.notice(f"hlrlookups: local clock is {offset:+.0f} s off the server's; corrected")
            return True

    def server_time(self) -> float:
        data = self.http.request("GET", "/time")
        try:
            return float(data["time"])
        except (KeyError, TypeError, ValueError):
            raise ProviderError("hlrlookups: /time answered without a time") from None

    # Lookups ---------------------------------------------------------------------------------------------
    def _single(self, kind: str, number: Number, *, replays: int = 1, route: str | None = None,
                storage: str | None = None) -> Any:  # fmt: skip
        path, _, key, _, cls = ENDPOINTS[kind]
        # Billed: a lost answer is resent at most `replays` times (once for a single lookup, documented; the
        # batch engine passes 0 and journals the number as uncertain instead).
        data = self._call(
            "POST", path, json={key: number.e164, "route": route, "storage": storage}, charged=True, replays=replays
        )
        return build(cls, _result_fields(kind, {key: number.e164 or number.raw, **data}), provider=self.name)

    def hlr(self, number: Number, *, replays: int = 1, **opts: Any) -> HlrResult:
        return self._single("hlr", number, replays=replays, **opts)

    def mnp(self, number: Number, *, replays: int = 1, **opts: Any) -> MnpResult:
        return self._single("mnp", number, replays=replays, **opts)

    def nt(self, number: Number, *, replays: int = 1, **opts: Any) -> NtResult:
        return self._single("nt", number, replays=replays, **opts)

    def submit(self, kind: str, numbers: Sequence[Number], *, scope: str, **opts: Any) -> list[Submission]:
        _, path, _, key, _ = ENDPOINTS[kind]
        payload = {key: [n.e164 for n in numbers], "route": opts.get("route"), "storage": opts.get("storage")}
        data = self._call("POST", path, json=payload, charged=True, replays=0)
        accepted, rejected = data.get("accepted"), data.get("rejected") or []
        if not isinstance(accepted, list) or not isinstance(rejected, list):
            raise self.shape_error(path, charged=True)
        item_key = "number" if kind == "nt" else "msisdn"
        share = _share(data.get("cost"), len(accepted) or 1)
        out = [
            Submission(msisdn=str(a.get(item_key)), state="SUBMITTED", id=_str(a.get("id")), cost=share,
                       currency="EUR", provider=self.name)
            for a in accepted if isinstance(a, dict)
        ]  # fmt: skip
        out += [
            Submission(msisdn=str(r.get(item_key)), state="REJECTED", error="rejected by hlrlookups",
                       provider=self.name)
            for r in rejected if isinstance(r, dict)
        ]  # fmt: skip
        return out

    def pricer(self, kind: str, options: Mapping[str, Any]) -> Pricer:
        def price(region: str | None, sample: str) -> float | None:
            try:
                amount = self.price(Number(raw=sample, e164=sample), kind.upper(), options.get("route")).amount
                return float(amount) if amount is not None else None
            except (ProviderError, ValueError):
                return None

        return price

    def where_results(self, options: Mapping[str, Any]) -> str:
        return "results go to the webhook URL of your hlr-lookups.com account (`hlrcli webhook serve`)"

    @classmethod
    def parse_callback(cls, body: bytes, content_type: str | None) -> list[CallbackResult]:
        """`{"type": "HLR"|"MNP"|"NT", "results": [...]}`, as JSON whatever the Content-Type says."""
        data = payloads.decode(body, content_type, json_only=True)
        if not isinstance(data, dict):
            raise payloads.PayloadError('expected a JSON object {"type": …, "results": […]}')
        kind = str(data.get("type") or "").strip().lower()
        if kind not in RESULT_TYPES:
            raise payloads.PayloadError(f"unknown webhook type {str(data.get('type'))[:20]!r}: HLR, MNP or NT expected")
        results = data.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
            raise payloads.PayloadError('"results" must be a list of objects')
        return [callback_result(kind, item) for item in results]

    @classmethod
    def callback_signature_ok(cls, settings: Settings, header: str | None, body: bytes) -> bool:
        key, secret = settings.get("HLR_LOOKUPS_API_KEY"), settings.get("HLR_LOOKUPS_API_SECRET")
        return bool(key and secret) and signature_ok(header, key or "", secret or "", body)

    # Account and catalogue ---------------------------------------------------------------------------------
    def balance(self) -> Balance:
        data = self._call("GET", "/balance")
        return Balance(balance=str(data.get("balance")), currency="EUR", provider=self.name)

    def route(self, number: Number) -> RouteAdvice:
        data = self._call("GET", "/route", params={"msisdn": number.e164})
        return build(RouteAdvice, data, msisdn=number.e164, provider=self.name)

    def routes(self) -> list[RouteEntry]:
        data = self._call("GET", "/routes").get("routes") or {}
        return [RouteEntry(t, r, provider=self.name) for t, items in data.items() for r in items or []]

    def routing_map(self) -> list[RoutingRule]:
        m = ((self._call("GET", "/routing-map").get("routing") or {}).get("map")) or {}
        # The docs' example spells defaultRoute/mnpFallback, their attribute table default_route/mnp_fallback.
        default = _first(m, "defaultRoute", "default_route")
        rules = [RoutingRule("default", _str(default), provider=self.name)]
        fallback = _first(m, "mnpFallback", "mnp_fallback")
        if fallback is not None:
            # A JSON boolean: spelled as every other boolean we print ("true"), not Python's "True".
            shown = str(fallback).lower() if isinstance(fallback, bool) else str(fallback)
            rules.append(RoutingRule("mnpFallback", shown, provider=self.name))
        for scope, key in (("mccmnc", "mccmncs"), ("prefix", "prefixes"), ("country", "countries")):
            for item in m.get(key) or []:
                # Codes stay text: an MCC+MNC or a prefix with a leading zero is not a number.
                coded = {k: _str(v) for k, v in item.items() if k in ("mccmnc", "cns", "countrycode", "route")}
                rules.append(build(RoutingRule, {**item, **coded}, scope=scope, provider=self.name))
        return rules

    def price(self, number: Number, route_type: str, route: str | None = None) -> Price:
        params = {"msisdn": number.e164, "route_type": route_type, "route": route}
        data = self._call("GET", "/price", params={k: v for k, v in params.items() if v}).get("price") or {}
        return Price(
            msisdn=number.e164 or number.raw,
            route_type=data.get("route_type") or route_type,
            amount=None if data.get("amount") is None else str(data["amount"]),
            route=data.get("route"),
            provider=self.name,
        )

    def price_list(self, **opts: Any) -> list[PriceRow]:
        items = self._call("GET", "/price-list").get("pricing") or []
        return [build(PriceRow, {**i, "price": str(i.get("price"))}, provider=self.name) for i in items]

    def coverage(self, country: str, sample_size: str | None = None) -> list[CoverageRoute]:
        params = {"countrycode": country, **({"sample_size": sample_size} if sample_size else {})}
        data = self._call("GET", "/hlr-coverage", params=params)
        rows = []
        for carrier in data.get("carriers") or []:
            base = {
                "countrycode": data.get("countrycode"),
                "name": data.get("name"),
                "prefix": data.get("prefix"),
                "mno": carrier.get("mno"),
                "mccmnc": carrier.get("mccmnc"),
                "mcc": carrier.get("mcc"),
                "mnc": carrier.get("mnc"),
            }
            for route in carrier.get("routes") or [{}]:
                rows.append(build(CoverageRoute, {**route, **base}, provider=self.name))
        return rows

    def mnp_coverage(self, country: str | None = None) -> list[Network]:
        params = {"countrycode": country} if country else None
        return self._networks(self._call("GET", "/mnp-coverage", params=params))

    def mnp_countries(self) -> list[Country]:
        return [Country(c, provider=self.name) for c in self._call("GET", "/mnp-countries").get("countries") or []]

    def networks(self, country: str | None = None) -> list[Network]:
        params = {"countrycode": country} if country else None
        return self._networks(self._call("GET", "/mccmncs", params=params))

    def _networks(self, data: Any) -> list[Network]:
        return [build(Network, item, provider=self.name) for item in data.get("items") or []]

    def doctor(self) -> Iterable[Check]:
        try:
            self.http.request("GET", "/ping")
            yield Check(self.name, "reachability", "ok", self.http.base_url)
            skew = self.server_time() - time.time()
        except HlrcliError as exc:
            yield Check(self.name, "reachability", "fail", str(exc))
            return
        if abs(skew) > CLOCK_WINDOW:
            self._auth.clock_offset = skew
            yield Check(self.name, "clock", "warn", f"local clock {skew:+.0f} s off; corrected automatically")
        else:
            yield Check(self.name, "clock", "ok", f"skew {skew:+.1f} s")
        try:
            self._call("GET", "/auth-test")
        except AuthError as exc:
            yield Check(self.name, "authentication", "fail", str(exc))
            return
        yield Check(self.name, "authentication", "ok", f"{self._auth.mode} auth accepted")
        yield Check(self.name, "balance", "ok", f"{self.balance().balance} EUR")


def _share(total: Any, count: int) -> str | None:
    try:
        return f"{float(total) / count:.4f}"
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    return next((mapping[k] for k in keys if mapping.get(k) is not None), None)


def _result_fields(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A result object on our field names: NT's `number` is `msisdn` like everywhere else in hlrcli."""
    out = dict(data)
    if kind == "nt":
        out["msisdn"] = out.pop("number", out.get("msisdn"))
    return out


# Webhooks ----------------------------------------------------------------------------------------------------
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


def webhook_signature(key: str, secret: str, body: bytes) -> str:
    """hlrlookups webhook signature: hex SHA-256 of KEY + SECRET + RAW_BODY (raw bytes, never re-encoded)."""
    return hashlib.sha256(key.encode() + secret.encode() + body).hexdigest()


def signature_ok(header: str | None, key: str, secret: str, body: bytes) -> bool:
    """True if ANY `;`-separated entry of X-Signatures matches (one entry per secret of the account)."""
    if not header:
        return False
    expected = webhook_signature(key, secret, body).encode()
    valid = False
    for entry in header.split(";"):
        # No early exit: every entry is compared, in constant time, whatever the outcome.
        candidate = entry.strip().lower().encode("utf-8", "replace")
        valid |= hmac.compare_digest(expected, candidate)
    return valid


def normalise_nt(item: Mapping[str, Any]) -> dict[str, Any]:
    """An NT webhook item on the NT result's field names (the documented spelling wins if both appear)."""
    out = dict(item)
    for alias, name in NT_ALIASES.items():
        if alias in item and item.get(name) is None:
            out[name] = item[alias]
    for flag in NT_FLAGS:
        out[flag] = payloads.yes_no(out.get(flag))
    status = payloads.text(out.get("query_status"))
    out["query_status"] = NT_STATE.get(status.upper(), status) if status else None
    for key in ("regions", "timezones"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = [value]
    return out


def callback_result(kind: str, item: Mapping[str, Any]) -> CallbackResult:
    data = normalise_nt(item) if kind == "nt" else dict(item)
    raw_number = payloads.text(data.get("number" if kind == "nt" else "msisdn")) or ""
    result_id = payloads.text(data.get("id"))
    fields_ = _result_fields(kind, {**data, "id": result_id})
    fields_["msisdn"] = raw_number
    record: HlrResult | MnpResult | NtResult = build(RESULT_TYPES[kind], fields_, provider="hlrlookups")
    return CallbackResult(
        provider="hlrlookups",
        # A result without an id is kept under a hash of its content, stable across the provider's retries.
        result_key=result_id or payloads.content_key(item),
        kind=kind,
        number=payloads.e164(raw_number),
        result=payloads.record_dict(record),
        match={"sub_id": result_id},
    )
