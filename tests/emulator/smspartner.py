"""SMS Partner API v1: HLR verification, format check, credits, contact-rental status (providers.md §2).

HTTP statuses are not documented; the emulator answers errors with a non-2xx status that fits the code
(400 for a bad request: codes 1, 2, 3, 9 and 31; 401 for code 10, invalid API key; 404 for code 32,
rental not found) and with the documented JSON `{"success": false, "code": N, "message": ...}`, so a client
must read the body whatever the status. `Emulator.smspartner_error_http_status = 200` makes every error an
HTTP 200 instead, to test the other style. Code 9 is answered as the Go SDK's fixture shows it (HTTP 400): no
`message`, only an `error` list of `{"elementId": "children[<field>].data", "message": ...}`.

Undocumented choices:
- more than 500 numbers, and a tag over 20 characters, answer code 9 (SMS Partner's generic "constraint not
  respected" code) naming the field;
- in `/hlr/notify`, numbers that are not international (`+` or `00` and 8-15 digits) are skipped: not
  verified, not charged, not counted in `number`; when none is left the answer is code 2;
- a successful rental-status answer carries neither `code` (as the seed's example) nor a numeric rental
  status: the seed shows only the status text.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from . import data
from .common import SMSP_KEY, Call, Response

if TYPE_CHECKING:
    from .server import Emulator

NAME = "smspartner"
HLR_PRICE = Decimal("0.005")
START_SOLDE = Decimal("100.000")

HTTP_FOR_CODE = {1: 400, 2: 400, 3: 400, 9: 400, 10: 401, 31: 400, 32: 404}

# Rental status code -> text. The seed's example shows "File downloaded by user from api" for status 5,
# not the table's wording, so that is what is sent.
RENTAL_STATUS_TEXT = {
    0: "The rental request has been made",
    1: "File is being generated",
    2: "File is ready. You can download it.",
    3: "The rental request failed",
    5: "File downloaded by user from api",
}
DEFAULT_RENTAL_TOKENS = {
    "tok-pending": 0,
    "tok-generating": 1,
    "tok-ready": 2,
    "tok-failed": 3,
    "tok-downloaded": 5,
}

# The seed's notification spells the success name with a trailing space: "NO_ERROR ", "No Error".
ERROR_GROUPS = {
    data.CONNECTED: (0, "NO_ERROR ", "No Error"),
    data.ABSENT: (27, "EC_ABSENT_SUBSCRIBER", "Subscriber is offline."),
    data.INVALID_MSISDN: (1, "EC_UNKNOWN_SUBSCRIBER", "The number does not exist or is not assigned."),
    data.UNDETERMINED: (255, "EC_UNKNOWN_ERROR", "Unknown error."),
}

TYPE_NAMES = {"MOBILE": "Mobile", "LANDLINE": "Landline", "MOBILE_OR_LANDLINE": "Mobile or landline"}

_SEPARATORS = re.compile(r"[\s;|/]")
_FR_NATIONAL = re.compile(r"0([1-9]\d{8})")
_BARE_INTERNATIONAL = re.compile(r"[1-9]\d{7,14}")


class SmsPartner:
    name = NAME

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.solde = START_SOLDE
        self.campaigns: dict[str, list[dict[str, Any]]] = {}

    def reset(self) -> None:
        self.solde = START_SOLDE
        self.campaigns.clear()

    def error(self, status: int, message: str) -> Response:
        return Response.json(status, {"success": False, "code": status})

    def counts_for_rate_limit(self, path: str) -> bool:
        # Only the verification endpoints are documented as rate limited.
        return path in ("/hlr/notify", "/lookup")

    def too_many_requests(self) -> Response:
        return Response.json(429, {"success": False, "code": 429, "message": "Too many requests"})

    def _fail(self, code: int, message: str, field: str | None = None) -> Response:
        status = self.emu.smspartner_error_http_status or HTTP_FOR_CODE.get(code, 400)
        body: dict[str, Any] = {"success": False, "code": code}
        if field:
            # A form validation error (Go SDK fixture): the `error` list is all there is, no `message`.
            body["error"] = [{"elementId": f"children[{field}].data", "message": message}]
        else:
            body["message"] = message
        return Response.json(status, body)

    def handle(self, call: Call) -> Response:
        routes = {
            "/hlr/notify": ("POST", self.hlr_notify),
            "/lookup": ("POST", self.lookup),
            "/me": ("GET", self.me),
            "/location/status": ("GET", self.location_status),
        }
        route = routes.get(call.path)
        if route is None:
            return Response.json(404, {"success": False, "code": 404, "message": "Not found"})
        method, handler = route
        if call.method != method:
            return Response.json(
                405, {"success": False, "code": 405, "message": "Method not allowed"}, {"Allow": method}
            )
        params = call.query if method == "GET" else self._body_params(call)
        key = params.get("apiKey")
        if not key:
            return self._fail(1, "API key is required")
        if key != SMSP_KEY:
            return self._fail(10, "Invalid API key")
        return handler(params)

    @staticmethod
    def _body_params(call: Call) -> dict[str, Any]:
        """JSON as documented; a form-encoded body is accepted too, as PHP servers do."""
        try:
            parsed = json.loads(call.body)
        except (ValueError, UnicodeDecodeError):
            parsed = None
        if isinstance(parsed, dict):
            return parsed
        try:
            form = parse_qs(call.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
        return {k: v[-1] for k, v in form.items()}

    def _split_numbers(self, params: dict[str, Any]) -> tuple[list[str], Response | None]:
        raw = params.get("phoneNumbers")
        if raw is None or raw == "" or raw == []:
            return [], self._fail(2, "Phone number is required")
        if not isinstance(raw, str):
            return [], self._fail(3, "Numbers must be separated by commas")
        numbers = [n.strip() for n in raw.split(",")]
        numbers = [n for n in numbers if n]
        if not numbers:
            return [], self._fail(2, "Phone number is required")
        if any(_SEPARATORS.search(n) for n in numbers):
            return [], self._fail(3, "Numbers must be separated by commas")
        limit = self.emu.smspartner_max_numbers
        if len(numbers) > limit:
            return [], self._fail(9, f"Maximum {limit} numbers per request", "phoneNumbers")
        return numbers, None

    def hlr_notify(self, params: dict[str, Any]) -> Response:
        numbers, problem = self._split_numbers(params)
        if problem:
            return problem
        tag = params.get("tag")
        if tag is not None and (not isinstance(tag, str) or len(tag) > 20):
            return self._fail(9, "The tag must be a string of at most 20 characters", "tag")
        valid = [(n, e164) for n in numbers if (e164 := data.normalize(n)) is not None]
        if not valid:
            return self._fail(2, "Phone number is required")
        notify_url = params.get("notifyUrl")
        with self.emu._lock:
            campaign = f"HLR{self.emu._next_campaign():06d}"
            self.solde -= HLR_PRICE * len(valid)
        notifications = []
        for number, e164 in valid:
            self.emu._charge(NAME, "HLR", e164)
            notifications.append(self.notification(number, e164))
        with self.emu._lock:
            self.campaigns[campaign] = notifications
        if isinstance(notify_url, str) and notify_url:
            for note in notifications:
                if self.emu.smspartner_notify_format == "json":
                    body, ctype = json.dumps(note).encode(), "application/json"
                else:
                    body, ctype = urlencode(note).encode(), "application/x-www-form-urlencoded"
                self.emu._deliver(NAME, notify_url, body, {"Content-Type": ctype}, strict_200=False)
        return Response.json(
            200,
            {
                "success": True,
                "code": 200,
                "campaign_id": campaign,
                "number": len(valid)
                if self.emu.smspartner_notify_number is None
                else self.emu.smspartner_notify_number,
                "cost": round(float(HLR_PRICE) * len(valid), 3),
                "currency": "EUR",
            },
        )

    def notification(self, number: str, e164: str) -> dict[str, Any]:
        i = data.info(e164)
        group, name, desc = ERROR_GROUPS[i.status]
        return {
            "phone": number,
            "messageId": str(uuid.uuid4()),
            "mccMnc": i.mccmnc,
            "ported": int(i.ported),
            "errorGrpId": group,
            "errorName": name,
            "errorDesc": desc,
            "date": data.timestamp(self.emu.server_time()).replace(" ", "T"),
        }

    def lookup(self, params: dict[str, Any]) -> Response:
        numbers, problem = self._split_numbers(params)
        if problem:
            return problem
        go_sdk = self.emu.smspartner_lookup_style == "go-sdk"
        return Response.json(200, {"success": True, "code": 200, "lookup": [self._format(n, go_sdk) for n in numbers]})

    @staticmethod
    def _format(number: str, go_sdk: bool = False) -> dict[str, Any]:
        e164 = data.normalize(number)
        if e164 is None and (m := _FR_NATIONAL.fullmatch(number)):
            e164 = "+33" + m.group(1)
        if e164 is None and _BARE_INTERNATIONAL.fullmatch(number):
            e164 = "+" + number
        country = data.country_of(e164)[0] if e164 else None
        if e164 is None or country is None or country.code == "XX":
            return {"request": number, "success": False, "message": "Invalid phone number"}
        i = data.info(e164)
        international, national = data.group_national(country, i.national)
        return {
            "request": number,
            "success": True,
            # docpartner: the country's name and an empty network; the Go SDK's: no country, the network named.
            "countryCode": "" if go_sdk else country.name,
            "prefixCode": int(country.prefix),
            "phoneNumber": e164,
            "type": TYPE_NAMES.get(i.number_type, "Unknown"),
            "network": i.original.brand if go_sdk else "",
            "format": {
                "e164": e164,
                "international": international,
                "national": national,
                "rfc3966": "tel:" + international.replace(" ", "-"),
            },
        }

    def me(self, params: dict[str, Any]) -> Response:
        with self.emu._lock:
            solde = self.solde

        def credits(price: str) -> int:
            return int((solde / Decimal(price)).to_integral_value(ROUND_FLOOR))

        amount = data.format_decimal(solde, 3)
        # docpartner: creditSmsECO and a named user; the Go SDK's fixture: creditSmsLowCost, a username only.
        go_sdk = self.emu.smspartner_me_style == "go-sdk"
        user: dict[str, str] = {"username": "emulator@example.com"}
        if not go_sdk:
            user.update(firstname="Emu", lastname="Lator")
        return Response.json(
            200,
            {
                "success": True,
                "code": 200,
                "user": user,
                "credits": {
                    "creditSms": credits("0.038"),
                    "creditSmsLowCost" if go_sdk else "creditSmsECO": credits("0.023"),
                    "creditHlr": credits(str(HLR_PRICE)),
                    "toSend": 0,
                    "solde": amount,
                    "currency": "EUR",
                    "balance": amount,
                },
            },
        )

    def location_status(self, params: dict[str, Any]) -> Response:
        token = params.get("token")
        if not token:
            return self._fail(31, "Rental token is required")
        status = self.emu.rental_tokens.get(token)
        if status is None:
            return self._fail(32, "Rental not found")
        return Response.json(
            200,
            {
                "success": True,
                "token": token,
                "status": RENTAL_STATUS_TEXT.get(status, "Unknown status"),
                "location": {
                    "sexe": "femme",
                    "minAge": 31,
                    "maxAge": 49,
                    "zipcode": "60200",
                    "interest": "12",
                    "category": 103,
                    "details_localisation": [
                        {"Type": "cp", "Location": "60200", "VolumeDesired": "10", "Volume": "266"}
                    ],
                    "cost": {"quantity": 10, "total": "0.900", "cost_unity": "0.090"},
                },
                "file": {"phoneNumbers": "10" if status in (2, 5) else "0"},
            },
        )
