"""hlr-lookups.com API v2: HLR, MNP and NT lookups (single and bulk), routing, prices, coverage, account."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from hlrcli.config import Settings
from hlrcli.errors import AuthError, ConfigError, HlrcliError, ProviderError
from hlrcli.models import (
    Balance,
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
from hlrcli.providers.base import HttpProvider, Runtime

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


class HlrLookupsAuth(requests.auth.AuthBase):
    """Digest (HMAC of path, timestamp, method and the exact body) or the hashed X-Basic header."""

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
    capabilities: ClassVar[dict[str, str]] = {
        "lookup": "sync",
        "mnp": "sync",
        "nt": "sync",
        "balance": "yes",
        "routes": "yes",
        "price": "yes",
        "coverage": "yes",
        "networks": "yes",
        "batch": "hlr, mnp, nt (sync or async)",
    }
    sync_types = frozenset({"hlr", "mnp", "nt"})
    async_types = frozenset({"hlr", "mnp", "nt"})
    chunk_size = 1000
    required = ("HLR_LOOKUPS_API_KEY", "HLR_LOOKUPS_API_SECRET")
    base_setting = "HLR_LOOKUPS_BASE_URL"
    auth_hint = "check HLR_LOOKUPS_API_KEY and HLR_LOOKUPS_API_SECRET; run `hlrcli doctor`"

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        mode = (settings.get("HLR_LOOKUPS_AUTH") or "digest").lower()
        if mode not in ("digest", "basic"):
            raise ConfigError(f"HLR_LOOKUPS_AUTH must be digest or basic, not {mode!r}")
        self._auth = HlrLookupsAuth(
            settings.require("HLR_LOOKUPS_API_KEY", self.name),
            settings.require("HLR_LOOKUPS_API_SECRET", self.name),
            mode,
            settings.get(self.base_setting) or "",
        )
        self._clock_lock = threading.Lock()
        self._clock_synced = False
        super().__init__(settings, runtime)

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
    def _single(
        self,
        kind: str,
        number: Number,
        route: str | None = None,
        storage: str | None = None,
        replays: int = 1,
    ) -> Any:
        path, _, key, _, cls = ENDPOINTS[kind]
        # Billed: a lost answer is resent at most once for a single lookup (documented); the batch engine
        # passes replays=0 and journals the number as uncertain instead.
        data = self._call(
            "POST",
            path,
            json={key: number.e164, "route": route, "storage": storage},
            charged=True,
            replays=replays,
        )
        if not isinstance(data, dict):
            raise ProviderError(f"hlrlookups: unexpected answer from {path}")
        fallback = {key: number.e164 or number.raw}
        return build(cls, {**fallback, **data}, provider=self.name)

    def hlr(self, number: Number, **opts: Any) -> HlrResult:
        return self._single("hlr", number, **opts)

    def mnp(self, number: Number, **opts: Any) -> MnpResult:
        return self._single("mnp", number, **opts)

    def nt(self, number: Number, **opts: Any) -> NtResult:
        return self._single("nt", number, **opts)

    def submit(self, kind: str, numbers: Sequence[Number], **opts: Any) -> list[Submission]:
        _, path, _, key, _ = ENDPOINTS[kind]
        payload = {key: [n.e164 for n in numbers], "route": opts.get("route"), "storage": opts.get("storage")}
        data = self._call("POST", path, json=payload, charged=True, replays=0)
        item_key = "number" if kind == "nt" else "msisdn"
        accepted = data.get("accepted") or []
        count = len(accepted) or 1
        share = _share(data.get("cost"), count)
        out = [
            Submission(msisdn=a.get(item_key), state="SUBMITTED", id=a.get("id"), cost=share, provider=self.name)
            for a in accepted
        ]
        out += [
            Submission(msisdn=r.get(item_key), state="REJECTED", error="rejected by hlrlookups", provider=self.name)
            for r in data.get("rejected") or []
        ]
        return out

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
        rules = [RoutingRule("default", m.get("defaultRoute"), provider=self.name)]
        fallback = m.get("mnpFallback")
        if fallback is not None:
            # A JSON boolean: spelled as every other boolean we print ("true"), not Python's "True".
            shown = str(fallback).lower() if isinstance(fallback, bool) else str(fallback)
            rules.append(RoutingRule("mnpFallback", shown, provider=self.name))
        for scope, key in (("mccmnc", "mccmncs"), ("prefix", "prefixes"), ("country", "countries")):
            rules += [build(RoutingRule, item, scope=scope, provider=self.name) for item in m.get(key) or []]
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

    def price_list(self) -> list[PriceRow]:
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
