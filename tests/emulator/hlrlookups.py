"""hlr-lookups.com API v2 (providers.md §1, seed 004)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import data
from .common import HLR_KEY, HLR_OLD_SECRET, HLR_SECRET, Call, Response, digest_signature, php_json
from .common import webhook_signature as sign_webhook

if TYPE_CHECKING:
    from .server import Emulator

NAME = "hlrlookups"
# The synchronous HLR answer (seed 004) prints the subscriber identifiers starred; the webhook example keeps
# the MCC+MNC of the IMSI and X's (`28603XXXXXXXXXX`): the webhook keeps the emulator's X form.
MASKED = ("imsi", "msin", "msc")
TIMESTAMP_TOLERANCE = 30
START_BALANCE = Decimal("100.00")

Handler = Callable[[Call, dict[str, Any]], Response]


def _error(status: int, *messages: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json(status, {"errors": list(messages)}, headers)


class HlrLookups:
    name = NAME

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.balance = START_BALANCE
        self.results: dict[str, dict[str, Any]] = {}
        # path -> (method, handler, public)
        self.routes: dict[str, tuple[str, Handler, bool]] = {
            "/ping": ("GET", self.ping, True),
            "/time": ("GET", self.time, True),
            "/auth-test": ("GET", self.auth_test, False),
            "/hlr-lookup": ("POST", self.hlr_lookup, False),
            "/hlr-lookups": ("POST", self.hlr_lookups, False),
            "/mnp-lookup": ("POST", self.mnp_lookup, False),
            "/mnp-lookups": ("POST", self.mnp_lookups, False),
            "/nt-lookup": ("POST", self.nt_lookup, False),
            "/nt-lookups": ("POST", self.nt_lookups, False),
            "/route": ("GET", self.route, False),
            "/routes": ("GET", self.routes_list, False),
            "/routing-map": ("GET", self.routing_map, False),
            "/hlr-coverage": ("GET", self.hlr_coverage, False),
            "/mnp-coverage": ("GET", self.mnp_coverage, False),
            "/mnp-countries": ("GET", self.mnp_countries, False),
            "/mccmncs": ("GET", self.mccmncs, False),
            "/price": ("GET", self.price, False),
            "/price-list": ("GET", self.price_list, False),
            "/balance": ("GET", self.balance_endpoint, False),
        }

    # -- emulator hooks -------------------------------------------------------------------------------------

    def reset(self) -> None:
        self.balance = START_BALANCE
        self.results.clear()

    def error(self, status: int, message: str) -> Response:
        return _error(status, message)

    def counts_for_rate_limit(self, path: str) -> bool:
        return True

    def too_many_requests(self) -> Response:
        return _error(429, "Too many requests.")

    def handle(self, call: Call) -> Response:
        route = self.routes.get(call.path)
        if route is None:
            return _error(404, "Not found.")
        method, handler, public = route
        if call.method != method:
            return _error(405, "Method not allowed.", headers={"Allow": method})
        if not public and (problem := self.authenticate(call)) is not None:
            return _error(401, problem)
        if method == "GET":
            return handler(call, {})
        if not call.body.strip():
            return _error(400, "Request body is empty.")
        try:
            payload = json.loads(call.body)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Invalid JSON in request body.")
        if not isinstance(payload, dict):
            return _error(400, "Request body must be a JSON object.")
        return handler(call, payload)

    # -- authentication -------------------------------------------------------------------------------------

    def authenticate(self, call: Call) -> str | None:
        """None when authenticated, else the error message for the 401."""
        h = call.headers
        if any(name in h for name in ("X-Digest-Key", "X-Digest-Signature", "X-Digest-Timestamp")):
            key = h.get("X-Digest-Key", "")
            signature = h.get("X-Digest-Signature", "")
            stamp = h.get("X-Digest-Timestamp", "")
            if not (key and signature and stamp) or not hmac.compare_digest(key, HLR_KEY):
                return "Unauthorized."
            try:
                when = int(stamp)
            except ValueError:
                return "Unauthorized."
            if abs(self.emu.server_time() - when) > TIMESTAMP_TOLERANCE:
                return "Timestamp out of range."
            expected = digest_signature(HLR_SECRET, call.path.lower(), stamp, call.method, call.body)
            return None if hmac.compare_digest(expected, signature) else "Unauthorized."
        if "X-Basic" in h:
            expected = hashlib.sha256(f"{HLR_KEY}:{HLR_SECRET}".encode()).hexdigest()
            return None if hmac.compare_digest(expected, h["X-Basic"]) else "Unauthorized."
        auth = h.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return "Unauthorized."
            return None if hmac.compare_digest(decoded, f"{HLR_KEY}:{HLR_SECRET}") else "Unauthorized."
        return "Unauthorized."

    # -- helpers --------------------------------------------------------------------------------------------

    def _route_and_storage(
        self, payload: dict[str, Any], kind: str, sync: bool
    ) -> tuple[str | None, str, Response | None]:
        route = payload.get("route")
        if route is not None and (not isinstance(route, str) or route not in data.ROUTES[kind]):
            return None, "", _error(400, "Invalid route.")
        storage = payload.get("storage")
        if storage is not None and not isinstance(storage, str):
            return None, "", _error(400, "Invalid storage.")
        month = data.month_suffix(self.emu.server_time())
        if storage:
            name = f"{storage}-{month}"
        else:
            mode = "SYNC-API" if sync else "ASYNC-API"
            name = f"{mode}-NT-{month}" if kind == "NT" else f"{mode}-{month}"
        return route, name, None

    def _charge(self, kind: str, e164: str, cost: Decimal) -> None:
        with self.emu._lock:
            self.balance -= cost
        self.emu._charge(NAME, kind, e164)

    def _store(self, result: dict[str, Any]) -> None:
        with self.emu._lock:
            self.results[result["id"]] = result

    def hlr_result(self, number: str, e164: str, route: str | None, storage: str) -> dict[str, Any]:
        i = data.info(e164)
        c = i.country
        chosen = route or c.hlr_route
        reachable = i.status in (data.CONNECTED, data.ABSENT)
        undetermined = i.status == data.UNDETERMINED
        return {
            "id": self.emu._new_hex_id(),
            "msisdn": number,
            "connectivity_status": i.status,
            "mccmnc": i.mccmnc,
            "mcc": c.mcc,
            "mnc": i.current.mnc,
            "imsi": f"{i.mccmnc}XXXXXXXXXX" if reachable else None,
            "msin": "XXXXXXXXXX" if reachable else None,
            "msc": f"{c.prefix}XXXXXXXXXXXX"[:12] if i.status == data.CONNECTED else None,
            "original_network_name": i.original.brand,
            "original_country_name": c.name,
            "original_country_code": c.code,
            "original_country_prefix": f"+{c.prefix}",
            "is_ported": i.ported,
            "ported_network_name": i.current.brand if i.ported else None,
            "ported_country_name": c.name if i.ported else None,
            "ported_country_code": c.code if i.ported else None,
            "ported_country_prefix": f"+{c.prefix}" if i.ported else None,
            "is_roaming": i.roaming,
            "roaming_network_name": i.roaming_network.brand if i.roaming_network else None,
            "roaming_country_name": i.roaming_country.name if i.roaming_country else None,
            "roaming_country_code": i.roaming_country.code if i.roaming_country else None,
            "roaming_country_prefix": f"+{i.roaming_country.prefix}" if i.roaming_country else None,
            "cost": data.format_decimal(data.HLR_COST),
            "timestamp": data.timestamp(self.emu.server_time()),
            "storage": storage,
            "route": chosen,
            "processing_status": "COMPLETED",
            "error_code": 1 if undetermined else None,
            "error_description": "No response from the target network." if undetermined else None,
            "data_source": "LIVE_HLR",
            "routing_instruction": f"STATIC:{route}" if route else f"AUTO:{chosen}:SCORE",
        }

    def mnp_result(self, number: str, e164: str, route: str | None, storage: str) -> dict[str, Any]:
        i = data.info(e164)
        c = i.country
        lrn = f"LRN:{i.national[:6]}0000" if c.code == "US" else None
        return {
            "id": self.emu._new_hex_id(),
            "msisdn": number,
            "query_status": "OK",
            "mccmnc": i.mccmnc,
            "mcc": c.mcc,
            "mnc": i.current.mnc,
            "is_ported": i.ported,
            "original_network_name": i.original.brand,
            "original_country_name": c.name,
            "original_country_code": c.code,
            "original_country_prefix": f"+{c.prefix}",
            "ported_network_name": i.current.brand if i.ported else None,
            "ported_country_name": c.name if i.ported else None,
            "ported_country_code": c.code if i.ported else None,
            "ported_country_prefix": f"+{c.prefix}" if i.ported else None,
            "extra": lrn,
            "cost": data.format_decimal(data.MNP_COST),
            "timestamp": data.timestamp(self.emu.server_time()),
            "storage": storage,
            "route": route or data.DEFAULT_ROUTE["MNP"],
            "error_code": None,
        }

    def nt_result(self, number: str, e164: str, route: str | None, storage: str) -> dict[str, Any]:
        i = data.info(e164)
        c = i.country
        region = i.region()
        mobile = i.mobile
        if i.number_type == "MOBILE":
            text = "This number qualifies for HLR lookups. It is a mobile number and might be roaming."
        elif mobile:
            text = "This number may be a landline or a mobile number. Run an HLR lookup to find out."
        else:
            text = "This is a landline number."
        return {
            "id": self.emu._new_hex_id(),
            "number": number,
            "number_type": i.number_type,
            "query_status": "OK",
            "is_valid": True,
            "invalid_reason": None,
            "is_possibly_ported": i.ported and mobile,
            "is_vanity_number": False,
            "qualifies_for_hlr_lookup": mobile,
            "mccmnc": i.original_mccmnc if mobile else None,
            "mcc": c.mcc if mobile else None,
            "mnc": i.original.mnc if mobile else None,
            "original_network_name": i.original.brand if mobile else None,
            "original_country_name": c.name,
            "original_country_code": c.code,
            "regions": [region.name if region and not mobile else c.name],
            "timezones": [(region.timezone if region else None) or c.timezone],
            "info_text": text,
            "cost": data.format_decimal(data.NT_COST),
            "timestamp": data.timestamp(self.emu.server_time()),
            "storage": storage,
            "route": route or data.DEFAULT_ROUTE["NT"],
        }

    @staticmethod
    def nt_webhook_item(r: dict[str, Any]) -> dict[str, Any]:
        """The NT webhook spells its keys differently from the synchronous answer (seed 004)."""

        def yes(flag: Any) -> str | None:
            return None if flag is None else ("Yes" if flag else "No")

        return {
            "id": r["id"],
            "number": r["number"],
            "numbertype": r["number_type"],
            "state": "COMPLETED",
            "isvalid": yes(r["is_valid"]),
            "invalidreason": r["invalid_reason"],
            "ispossiblyported": yes(r["is_possibly_ported"]),
            "isvanitynumber": yes(r["is_vanity_number"]),
            "qualifiesforhlrlookup": yes(r["qualifies_for_hlr_lookup"]),
            "originalcarrier": r["original_network_name"],
            "mccmnc": r["mccmnc"],
            "mcc": r["mcc"],
            "mnc": r["mnc"],
            "countrycode": r["original_country_code"],
            "regions": r["regions"],
            "timezones": r["timezones"],
            "infotext": r["info_text"],
            "usercharge": r["cost"],
            "inserttime": r["timestamp"],
            "storage": r["storage"],
            "route": r["route"],
            "interface": "Async API",
        }

    # -- lookups --------------------------------------------------------------------------------------------

    def _single(
        self,
        payload: dict[str, Any],
        field: str,
        kind: str,
        cost: Decimal,
        build: Callable[..., dict[str, Any]],
    ) -> Response:
        number = payload.get(field)
        if number is None or number == "":
            return _error(400, f"Missing parameter: {field}.")
        e164 = data.normalize(number)
        if e164 is None:
            return _error(400, "Invalid MSISDN.")
        route, storage, problem = self._route_and_storage(payload, kind, sync=True)
        if problem:
            return problem
        result = build(number, e164, route, storage)
        if kind == "HLR":
            result.update({k: "*" * len(result[k]) for k in MASKED if result[k]})
        self._charge(kind, e164, cost)
        self._store(result)
        return Response.json(200, result)

    def _bulk(
        self, payload: dict[str, Any], field: str, item_field: str, kind: str, cost: Decimal,
        build: Callable[..., dict[str, Any]],
    ) -> Response:  # fmt: skip
        numbers = payload.get(field)
        if numbers is None:
            return _error(400, f"Missing parameter: {field}.")
        if not isinstance(numbers, list):
            return _error(400, f"Parameter {field} must be an array.")
        if not numbers:
            return _error(400, f"Parameter {field} must not be empty.")
        limit = self.emu.hlr_max_batch
        if len(numbers) > limit:
            return _error(400, f"Too many numbers: at most {limit} per request, {len(numbers)} given.")
        route, storage, problem = self._route_and_storage(payload, kind, sync=False)
        if problem:
            return problem
        accepted: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        for number in numbers:
            e164 = data.normalize(number)
            if e164 is None:
                rejected.append({"id": None, item_field: number})
                continue
            result = build(number, e164, route, storage)
            self._charge(kind, e164, cost)
            self._store(result)
            accepted.append({"id": result["id"], item_field: number})
            results.append(result)
        urls = list(self.emu.webhook_urls.get(NAME, []))
        answer = {
            "accepted": accepted,
            "accepted_count": len(accepted),
            "rejected": rejected,
            "rejected_count": len(rejected),
            "total_count": len(numbers),
            # The NT example prints a JSON number (0.005), the HLR and MNP examples a string ("0.01").
            "cost": float(cost * len(accepted)) if kind == "NT" else data.format_decimal(cost * len(accepted)),
            "storage": storage,
            "route": route or ("AUTO" if kind == "HLR" else data.DEFAULT_ROUTE[kind]),
            "webhook_urls": urls,
        }
        if kind == "NT":
            results = [self.nt_webhook_item(r) for r in results]
        self._send_webhooks(kind, results, urls)
        return Response.json(200, answer)

    def _send_webhooks(self, kind: str, results: list[dict[str, Any]], urls: list[str]) -> None:
        size = max(1, int(self.emu.webhook_batch_size))
        for start in range(0, len(results), size):
            body = php_json({"type": kind, "results": results[start : start + size]})
            signatures = ";".join(
                (sign_webhook(HLR_KEY, HLR_OLD_SECRET, body), sign_webhook(HLR_KEY, HLR_SECRET, body))
            )
            headers = {"X-Signatures": signatures}
            if self.emu.hlr_webhook_content_type is not None:
                headers["Content-Type"] = self.emu.hlr_webhook_content_type
            for url in urls:
                self.emu._deliver(NAME, url, body, headers, strict_200=True)

    def hlr_lookup(self, call: Call, payload: dict[str, Any]) -> Response:
        return self._single(payload, "msisdn", "HLR", data.HLR_COST, self.hlr_result)

    def mnp_lookup(self, call: Call, payload: dict[str, Any]) -> Response:
        return self._single(payload, "msisdn", "MNP", data.MNP_COST, self.mnp_result)

    def nt_lookup(self, call: Call, payload: dict[str, Any]) -> Response:
        return self._single(payload, "number", "NT", data.NT_COST, self.nt_result)

    def hlr_lookups(self, call: Call, payload: dict[str, Any]) -> Response:
        return self._bulk(payload, "msisdns", "msisdn", "HLR", data.HLR_COST, self.hlr_result)

    def mnp_lookups(self, call: Call, payload: dict[str, Any]) -> Response:
        return self._bulk(payload, "msisdns", "msisdn", "MNP", data.MNP_COST, self.mnp_result)

    def nt_lookups(self, call: Call, payload: dict[str, Any]) -> Response:
        return self._bulk(payload, "numbers", "number", "NT", data.NT_COST, self.nt_result)

    # -- account and catalogue ------------------------------------------------------------------------------

    def ping(self, call: Call, _: dict[str, Any]) -> Response:
        return Response.json(200, {"success": True})

    def time(self, call: Call, _: dict[str, Any]) -> Response:
        return Response.json(200, {"time": int(self.emu.server_time())})

    def auth_test(self, call: Call, _: dict[str, Any]) -> Response:
        return Response.json(200, {"success": True})

    def balance_endpoint(self, call: Call, _: dict[str, Any]) -> Response:
        with self.emu._lock:
            balance = self.balance
        return Response.json(200, {"balance": data.trim_balance(balance)})

    @staticmethod
    def _query_number(call: Call, name: str = "msisdn") -> tuple[str | None, str | None, Response | None]:
        raw = call.query.get(name)
        if not raw:
            return None, None, _error(400, f"Missing parameter: {name}.")
        # An unencoded "+" in a query string arrives as a space (the seed's own curl examples do this).
        number = "+" + raw[1:] if raw.startswith(" ") else raw
        e164 = data.normalize(number)
        if e164 is None:
            return None, None, _error(400, "Invalid MSISDN.")
        return number, e164, None

    def route(self, call: Call, _: dict[str, Any]) -> Response:
        _, e164, problem = self._query_number(call)
        if problem or e164 is None:
            return problem or _error(400, "Invalid MSISDN.")
        i = data.info(e164)
        known = i.country.code in data.COUNTRY_BY_CODE
        return Response.json(
            200,
            {
                "route": i.country.hlr_route,
                "confidence_level": "HIGH" if known else "LOW",
                "mccmnc": i.original_mccmnc,
                "origin": "SCORE" if known else "PLATFORM_DEFAULT",
            },
        )

    def routes_list(self, call: Call, _: dict[str, Any]) -> Response:
        return Response.json(200, {"routes": data.ROUTES})

    def routing_map(self, call: Call, _: dict[str, Any]) -> Response:
        # The example prints the mccmncs' codes as integers (`"mccmnc":20201`) and camelCase keys; the attribute
        # table says `default_route`, `mnp_fallback` and "mccmnc string(5|6)". The prefixes' code is a string
        # in both.
        table = self.emu.hlr_routing_map_style == "table"
        default_key, fallback_key = ("default_route", "mnp_fallback") if table else ("defaultRoute", "mnpFallback")
        mccmncs = [
            {
                "mccmnc": c.mccmnc(n) if table else int(c.mccmnc(n)),
                "countrycode": c.code,
                "route": c.hlr_route,
                "mno": n.brand,
                "confidence": "HIGH" if j == 0 else "NORMAL",
                "origin": "SCORE",
            }
            for c in data.COUNTRIES
            for j, n in enumerate(c.networks)
        ]
        return Response.json(
            200,
            {
                "routing": {
                    "map": {
                        default_key: "V11",
                        fallback_key: True,
                        "mccmncs": mccmncs,
                        "prefixes": [
                            {
                                "countrycode": "DE",
                                "cns": "+4917821",
                                "route": "DV8",
                                "mccmnc": "26203",
                                "mno": "O2",
                            }
                        ],
                        "countries": [{"countrycode": "US", "route": "DV8"}],
                    }
                }
            },
        )

    @staticmethod
    def _padded_mnc(mnc: str) -> str:
        # The real catalogue pads two-digit MNCs to three characters with a trailing space.
        return mnc.ljust(3)

    def _country_param(self, call: Call, required: bool) -> tuple[data.Country | None, Response | None]:
        code = call.query.get("countrycode")
        if not code:
            return None, _error(400, "Missing parameter: countrycode.") if required else None
        country = data.COUNTRY_BY_CODE.get(code.upper())
        if country is None and required:
            return None, _error(400, "Invalid countrycode.")
        return country, None

    def hlr_coverage(self, call: Call, _: dict[str, Any]) -> Response:
        country, problem = self._country_param(call, required=True)
        if problem or country is None:
            return problem or _error(400, "Invalid countrycode.")
        sample = call.query.get("sample_size", "LARGE").upper()
        scale = {"LARGE": 10, "MEDIUM": 3, "SMALL": 1}.get(sample)
        if scale is None:
            return _error(400, "Invalid sample_size.")
        carriers = []
        for network in country.networks:
            mccmnc = country.mccmnc(network)
            routes = []
            for route in (country.hlr_route, "E10" if country.hlr_route != "E10" else "V11"):
                seed = zlib.crc32(f"{mccmnc}{route}".encode())
                selected = route == country.hlr_route
                counts = {
                    data.CONNECTED: (seed % 5000 + (20000 if selected else 2000)) * scale,
                    data.ABSENT: (seed % 700 + 300) * scale,
                    data.INVALID_MSISDN: (seed % 900 + 500) * scale,
                    data.UNDETERMINED: (seed % 400 + (50 if selected else 9000)) * scale,
                }
                n = sum(counts.values())
                entry: dict[str, Any] = {
                    "route": route,
                    "selected": selected,
                    "selection_confidence": "HIGH" if selected else None,
                    "n": n,
                }
                for status, count in counts.items():
                    entry[status] = count
                    entry[f"{status}_PCT"] = round(100 * count / n, 2)
                routes.append(entry)
            carriers.append(
                {
                    "mno": network.brand,
                    "mccmnc": mccmnc,
                    "mcc": country.mcc,
                    "mnc": self._padded_mnc(network.mnc),
                    "routes": routes,
                }
            )
        return Response.json(
            200,
            {
                "name": country.name,
                "countrycode": country.code,
                "prefix": f"+{country.prefix}",
                "mccs": [country.mcc],
                "carriers": carriers,
            },
        )

    def _operators(self, call: Call, with_parent: bool) -> Response:
        code = call.query.get("countrycode")
        wanted = [c for c in data.COUNTRIES if not code or c.code == code.upper()]
        items: list[dict[str, Any]] = []
        for c in wanted:
            for n in c.networks:
                item: dict[str, Any] = {
                    "country_name": c.name,
                    "country_code": c.code,
                    "mccmnc": c.mccmnc(n),
                    "mcc": c.mcc,
                    "mnc": self._padded_mnc(n.mnc),
                    "brand": n.brand,
                    "operator": n.operator,
                }
                # Documented, yet missing from the example: sent for every other network, so its absence is met.
                if with_parent and len(items) % 2 == 0:
                    item["parent_mccmnc"] = None
                items.append(item)
        return Response.json(200, {"items": items})

    def mnp_coverage(self, call: Call, _: dict[str, Any]) -> Response:
        return self._operators(call, with_parent=False)

    def mccmncs(self, call: Call, _: dict[str, Any]) -> Response:
        return self._operators(call, with_parent=True)

    def mnp_countries(self, call: Call, _: dict[str, Any]) -> Response:
        return Response.json(200, {"countries": data.MNP_COUNTRIES})

    def price(self, call: Call, _: dict[str, Any]) -> Response:
        number, e164, problem = self._query_number(call)
        if problem or e164 is None:
            return problem or _error(400, "Invalid MSISDN.")
        route_type = call.query.get("route_type", "")
        if not route_type:
            return _error(400, "Missing parameter: route_type.")
        route_type = route_type.upper()
        if route_type not in data.ROUTES:
            return _error(400, "Invalid route_type.")
        route = call.query.get("route")
        if route and route not in data.ROUTES[route_type]:
            return _error(400, "Invalid route.")
        if not route:
            route = data.info(e164).country.hlr_route if route_type == "HLR" else data.DEFAULT_ROUTE[route_type]
        amount = {"HLR": data.HLR_COST, "MNP": data.MNP_COST, "NT": data.NT_COST}[route_type]
        return Response.json(
            200,
            {
                "price": {
                    "amount": data.format_decimal(amount, 5),
                    "msisdn": number,
                    "route_type": route_type,
                    "route": route,
                }
            },
        )

    def price_list(self, call: Call, _: dict[str, Any]) -> Response:
        def row(route: str, kind: str, amount: Decimal, country: data.Country | None = None) -> dict[str, Any]:
            return {
                "route": route,
                "countrycode": country.code if country else None,
                "countryname": country.name if country else None,
                "mccmnc": None,
                "cns": None,
                "route_type": kind,
                # The example: HLR prices with 4 decimals ("0.0090"), the others with 5 ("0.00500").
                "price": data.format_decimal(amount, 4 if kind == "HLR" else 5),
            }

        pricing = [row(r, "HLR", data.HLR_COST) for r in data.ROUTES["HLR"]]
        pricing += [row(c.hlr_route, "HLR", data.HLR_COST, c) for c in data.COUNTRIES]
        pricing += [row(r, "MNP", data.MNP_COST) for r in data.ROUTES["MNP"]]
        if self.emu.hlr_price_list_mix:
            # The example's one "MIX" row (HLR route IP1 at the HLR price); the table knows HLR, MNP, NT only.
            pricing.append(row("IP1", "MIX", data.HLR_COST))
        pricing += [row(r, "NT", data.NT_COST) for r in data.ROUTES["NT"]]
        return Response.json(200, {"pricing": pricing})
