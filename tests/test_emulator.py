"""Tests of the provider emulator itself (tests/emulator), over real HTTP with `requests`."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from tests.emulator import (
    AFF_KEY,
    BROKEN_KINDS,
    HLR_KEY,
    HLR_SECRET,
    SMSP_KEY,
    Emulator,
    digest_signature,
    expected_status,
    php_json,
    webhook_signature,
)

REPO = Path(__file__).resolve().parent.parent
HLR_FIELDS = [
    "id",
    "msisdn",
    "connectivity_status",
    "mccmnc",
    "mcc",
    "mnc",
    "imsi",
    "msin",
    "msc",
    "original_network_name",
    "original_country_name",
    "original_country_code",
    "original_country_prefix",
    "is_ported",
    "ported_network_name",
    "ported_country_name",
    "ported_country_code",
    "ported_country_prefix",
    "is_roaming",
    "roaming_network_name",
    "roaming_country_name",
    "roaming_country_code",
    "roaming_country_prefix",
    "cost",
    "timestamp",
    "storage",
    "route",
    "processing_status",
    "error_code",
    "error_description",
    "data_source",
    "routing_instruction",
]
MNP_FIELDS = [
    "id",
    "msisdn",
    "query_status",
    "mccmnc",
    "mcc",
    "mnc",
    "is_ported",
    "original_network_name",
    "original_country_name",
    "original_country_code",
    "original_country_prefix",
    "ported_network_name",
    "ported_country_name",
    "ported_country_code",
    "ported_country_prefix",
    "extra",
    "cost",
    "timestamp",
    "storage",
    "route",
    "error_code",
]
NT_FIELDS = [
    "id",
    "number",
    "number_type",
    "query_status",
    "is_valid",
    "invalid_reason",
    "is_possibly_ported",
    "is_vanity_number",
    "qualifies_for_hlr_lookup",
    "mccmnc",
    "mcc",
    "mnc",
    "original_network_name",
    "original_country_name",
    "original_country_code",
    "regions",
    "timezones",
    "info_text",
    "cost",
    "timestamp",
    "storage",
    "route",
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(latency=0.0) as emulator:
        emulator.retry_delays = [0.05, 0.05, 0.05]
        yield emulator
        assert emulator.server_errors == []


class Receiver:
    """A tiny webhook endpoint: records every POST, answers `fail_first` 500s, then 200s."""

    def __init__(self, fail_first: int = 0) -> None:
        self.hits: list[tuple[dict[str, str], bytes]] = []
        self.fail_left = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.hits.append((dict(self.headers.items()), body))
                status = 500 if receiver.fail_left > 0 else 200
                receiver.fail_left -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def digest_headers(path: str, body: bytes = b"", method: str = "POST", stamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if stamp is None else stamp)
    return {
        "X-Digest-Key": HLR_KEY,
        "X-Digest-Timestamp": ts,
        "X-Digest-Signature": digest_signature(HLR_SECRET, path, ts, method, body),
        "Content-Type": "application/json",
    }


def hlr_post(emu: Emulator, path: str, payload: Any) -> requests.Response:
    body = json.dumps(payload).encode()
    return requests.post(emu.hlr_url + path, data=body, headers=digest_headers(path, body), timeout=5)


def hlr_get(emu: Emulator, path: str, **params: str) -> requests.Response:
    return requests.get(emu.hlr_url + path, params=params, auth=(HLR_KEY, HLR_SECRET), timeout=5)


def smsp(emu: Emulator, path: str, **payload: Any) -> requests.Response:
    return requests.post(emu.smspartner_url + path, json={"apiKey": SMSP_KEY, **payload}, timeout=5)


def aff_create(emu: Emulator, fields: dict[str, str], key: str = AFF_KEY) -> requests.Response:
    files = {name: (None, value) for name, value in fields.items()}
    return requests.put(emu.affiliate_url + "/hlr/create", files=files, headers={"X-API-KEY": key}, timeout=5)


def aff_get(emu: Emulator, path: str) -> requests.Response:
    return requests.get(emu.affiliate_url + path, headers={"X-API-KEY": AFF_KEY}, timeout=5)


# -- contract ------------------------------------------------------------------------------------------------


def test_digest_signature_matches_the_documented_check_value() -> None:
    sig = digest_signature("hlr-secret-value", "/hlr-lookup", "1790000000", "POST", b'{"msisdn":"+491788735000"}')
    assert sig == "997fc8db45a0ac1c0e8ecc70bb2de21de9967b3c3c8ae50803aece5962aec6c8"


def test_urls_and_env(emu: Emulator) -> None:
    assert emu.url.startswith("http://127.0.0.1:")
    assert emu.hlr_url == emu.url + "/hlr/api/v2"
    assert emu.smspartner_url == emu.url + "/smspartner/v1"
    assert emu.affiliate_url == emu.url + "/affiliate"
    env = emu.env()
    assert env["HLR_LOOKUPS_API_KEY"] == HLR_KEY and env["HLR_LOOKUPS_API_SECRET"] == HLR_SECRET
    assert env["SMSPARTNER_API_KEY"] == SMSP_KEY and env["AFFILIATE_SMS_API_KEY"] == AFF_KEY
    assert env["AFFILIATE_SMS_BASE_URL"] == emu.affiliate_url
    assert set(emu.env("smspartner")) == {"SMSPARTNER_API_KEY", "SMSPARTNER_BASE_URL"}
    assert len(emu.env("hlrlookups")) == 3
    with pytest.raises(ValueError):
        emu.env("nope")


def test_stopped_emulator_refuses_even_kept_alive_connections() -> None:
    emulator = Emulator().start()
    session = requests.Session()
    assert session.get(emulator.hlr_url + "/ping", timeout=5).status_code == 200
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(emulator.hlr_url + "/ping", timeout=5)


# -- hlrlookups: authentication ------------------------------------------------------------------------------


def test_public_endpoints_and_server_clock(emu: Emulator) -> None:
    assert requests.get(emu.hlr_url + "/ping", timeout=5).json() == {"success": True}
    emu.clock_skew = 1000
    served = requests.get(emu.hlr_url + "/time", timeout=5).json()["time"]
    assert abs(served - (time.time() + 1000)) < 3


def test_every_auth_method_is_accepted(emu: Emulator) -> None:
    url = emu.hlr_url + "/auth-test"
    assert requests.get(url, headers=digest_headers("/auth-test", method="GET"), timeout=5).json() == {"success": True}
    assert requests.get(url, auth=(HLR_KEY, HLR_SECRET), timeout=5).status_code == 200
    x_basic = hashlib.sha256(f"{HLR_KEY}:{HLR_SECRET}".encode()).hexdigest()
    assert requests.get(url, headers={"X-Basic": x_basic}, timeout=5).status_code == 200
    # Query parameters are not signed.
    r = requests.get(
        emu.hlr_url + "/mccmncs?countrycode=DE", headers=digest_headers("/mccmncs", method="GET"), timeout=5
    )
    assert r.status_code == 200
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"}).status_code == 200


# Built when the test runs, not at collection: a digest timestamp goes stale after 30 s.
BAD_HEADERS = {
    "none": lambda: {},
    "x-basic": lambda: {"X-Basic": "0" * 64},
    "basic": lambda: {"Authorization": "Basic " + "ZW11LWhsci1rZXk6d3Jvbmc="},  # emu-hlr-key:wrong
    "other-key": lambda: {**digest_headers("/auth-test", method="GET"), "X-Digest-Key": "other-key"},
    "bad-signature": lambda: {**digest_headers("/auth-test", method="GET"), "X-Digest-Signature": "f" * 64},
    "wrong-method": lambda: digest_headers("/auth-test", method="POST"),
    "path-case": lambda: digest_headers("/Auth-Test", method="GET"),  # path must be signed lower case
    "no-timestamp": lambda: {
        k: v for k, v in digest_headers("/auth-test", method="GET").items() if k != "X-Digest-Timestamp"
    },
}


@pytest.mark.parametrize("case", list(BAD_HEADERS))
def test_auth_failures_answer_401(emu: Emulator, case: str) -> None:
    r = requests.get(emu.hlr_url + "/auth-test", headers=BAD_HEADERS[case](), timeout=5)
    assert r.status_code == 401
    assert r.json() == {"errors": ["Unauthorized."]}


def test_signature_covers_the_exact_body(emu: Emulator) -> None:
    signed = json.dumps({"msisdn": "+491788735000"}).encode()
    sent = json.dumps({"msisdn": "+491788735001"}).encode()
    r = requests.post(emu.hlr_url + "/hlr-lookup", data=sent, headers=digest_headers("/hlr-lookup", signed), timeout=5)
    assert r.status_code == 401
    assert emu.charge_count() == 0


def test_digest_timestamp_must_be_within_30_seconds_of_server_clock(emu: Emulator) -> None:
    emu.clock_skew = 120
    r = requests.get(emu.hlr_url + "/auth-test", headers=digest_headers("/auth-test", method="GET"), timeout=5)
    assert r.status_code == 401
    assert r.json() == {"errors": ["Timestamp out of range."]}
    server_now = requests.get(emu.hlr_url + "/time", timeout=5).json()["time"]
    headers = digest_headers("/auth-test", method="GET", stamp=server_now)
    assert requests.get(emu.hlr_url + "/auth-test", headers=headers, timeout=5).status_code == 200
    emu.clock_skew = 25
    ok = requests.get(emu.hlr_url + "/auth-test", headers=digest_headers("/auth-test", method="GET"), timeout=5)
    assert ok.status_code == 200


# -- hlrlookups: lookups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "status", "ported", "roaming"),
    [
        ("+491788735000", "CONNECTED", False, False),
        ("+491788735915", "CONNECTED", True, True),
        ("+33612345676", "ABSENT", True, False),
        ("+447400123457", "ABSENT", True, False),
        ("+14156226808", "INVALID_MSISDN", False, False),
        ("0014156226999", "UNDETERMINED", True, True),
    ],
)
def test_hlr_lookup_is_deterministic_and_complete(
    emu: Emulator, number: str, status: str, ported: bool, roaming: bool
) -> None:
    r = hlr_post(emu, "/hlr-lookup", {"msisdn": number, "route": None, "storage": None})
    assert r.status_code == 200
    result = r.json()
    assert set(result) == set(HLR_FIELDS)
    assert result["connectivity_status"] == status == emu.expected_status(number) == expected_status(number)
    assert (result["is_ported"], result["is_roaming"]) == (ported, roaming)
    assert result["msisdn"] == number
    assert len(result["id"]) == 12 and int(result["id"], 16) >= 0 and result["id"] == result["id"].lower()
    assert result["cost"] == "0.0100" and result["processing_status"] == "COMPLETED"
    assert (result["roaming_country_code"] is not None) == roaming
    assert (result["ported_network_name"] is not None) == ported
    assert result["mccmnc"] == result["mcc"] + result["mnc"]
    assert emu.charges == [("hlrlookups", "HLR", "+" + number.lstrip("+").removeprefix("00"))]
    assert hlr_get(emu, "/balance").json() == {"balance": "99.99"}


def test_mnp_and_nt_lookups(emu: Emulator) -> None:
    mnp = hlr_post(emu, "/mnp-lookup", {"msisdn": "+14156226819"}).json()
    assert set(mnp) == set(MNP_FIELDS)
    assert mnp["cost"] == "0.0050" and mnp["query_status"] == "OK" and mnp["original_country_code"] == "US"
    types = {
        "+4915112345670": "MOBILE",
        "+33712345670": "MOBILE",
        "+447400123450": "MOBILE",
        "+14156226810": "MOBILE_OR_LANDLINE",
        "+4989702626": "LANDLINE",
        "+33140000000": "LANDLINE",
    }
    for number, kind in types.items():
        nt = hlr_post(emu, "/nt-lookup", {"number": number}).json()
        assert set(nt) == set(NT_FIELDS)
        assert nt["number_type"] == kind and nt["cost"] == "0.0050"
        assert isinstance(nt["regions"], list) and isinstance(nt["timezones"], list)
    assert hlr_post(emu, "/nt-lookup", {"number": "+4989702626"}).json()["regions"] == ["Munich"]
    assert emu.charged_numbers()["+4989702626"] == 2
    assert [c.kind for c in emu.charges][:2] == ["MNP", "NT"]
    assert hlr_get(emu, "/balance").json()["balance"] == "99.96"


def test_lookup_input_errors_are_400_and_free(emu: Emulator) -> None:
    bad = hlr_post(emu, "/hlr-lookup", {"msisdn": "+49"})
    assert bad.status_code == 400 and bad.json() == {"errors": ["Invalid MSISDN."]}
    for payload in ({}, {"msisdn": "+491788735000", "route": "XYZ"}, {"msisdn": "491788735000"}):
        r = hlr_post(emu, "/hlr-lookup", payload)
        assert r.status_code == 400 and isinstance(r.json()["errors"], list)
    empty = requests.post(emu.hlr_url + "/hlr-lookup", headers=digest_headers("/hlr-lookup"), timeout=5)
    assert empty.status_code == 400
    junk = b"msisdn=+491788735000"
    r = requests.post(emu.hlr_url + "/hlr-lookup", data=junk, headers=digest_headers("/hlr-lookup", junk), timeout=5)
    assert r.status_code == 400
    assert hlr_get(emu, "/no-such-endpoint").status_code == 404
    assert hlr_get(emu, "/hlr-lookup").status_code == 405
    assert hlr_get(emu, "/route").status_code == 400
    assert emu.charge_count() == 0
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": "00491788735000"}).status_code == 200


def test_bulk_over_1000_is_rejected_whole(emu: Emulator, receiver: Receiver) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    numbers = [f"+4917612{i:05d}" for i in range(1001)]
    r = hlr_post(emu, "/hlr-lookups", {"msisdns": numbers})
    assert r.status_code == 400 and r.json()["errors"]
    assert emu.charge_count() == 0
    r = hlr_post(emu, "/hlr-lookups", {"msisdns": numbers[:1000]})
    assert r.status_code == 200 and r.json()["accepted_count"] == 1000
    assert emu.wait_deliveries(5)
    assert len(receiver.hits) == 1 and len(json.loads(receiver.hits[0][1])["results"]) == 1000


def test_bulk_answer_and_signed_webhook(emu: Emulator, receiver: Receiver) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    numbers = ["+491788735000", "+31", "0033612345676", "+447400123458"]
    r = hlr_post(emu, "/hlr-lookups", {"msisdns": numbers, "route": None, "storage": "jobA"})
    answer = r.json()
    assert answer["accepted_count"] == 3 and answer["rejected"] == [{"id": None, "msisdn": "+31"}]
    assert answer["total_count"] == 4 and answer["cost"] == "0.0300"
    assert answer["webhook_urls"] == [receiver.url] and answer["storage"].startswith("jobA-")
    assert emu.charge_count() == 3
    assert emu.wait_deliveries(5)
    assert len(receiver.hits) == 1
    headers, body = receiver.hits[0]
    assert headers["Content-Type"] == "application/json"
    expected = webhook_signature(HLR_KEY, HLR_SECRET, body)
    entries = headers["X-Signatures"].split(";")
    assert len(entries) == 2 and entries[1] == expected and entries[0] != expected
    assert any(hmac.compare_digest(e, expected) for e in entries)
    payload = json.loads(body)
    assert payload["type"] == "HLR"
    assert [x["id"] for x in payload["results"]] == [a["id"] for a in answer["accepted"]]
    assert [x["connectivity_status"] for x in payload["results"]] == ["CONNECTED", "ABSENT", "INVALID_MSISDN"]
    # Bytes as PHP sends them: a client re-serialising before verifying would get another signature.
    assert json.dumps(payload).encode() != body
    assert emu.deliveries[0].status == 200 and emu.deliveries[0].ok


def test_nt_webhook_uses_alternative_spellings_in_batches(emu: Emulator, receiver: Receiver) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    emu.webhook_batch_size = 2
    numbers = ["+4915112345670", "+4989702626", "+14156226810", "+33612345671", "+447400123452"]
    answer = hlr_post(emu, "/nt-lookups", {"numbers": numbers}).json()
    assert answer["accepted"][0] == {"id": answer["accepted"][0]["id"], "number": numbers[0]}
    assert emu.wait_deliveries(5)
    bodies = [json.loads(b) for _, b in receiver.hits]
    assert sorted(len(b["results"]) for b in bodies) == [1, 2, 2]
    item = next(i for b in bodies for i in b["results"] if i["number"] == "+4915112345670")
    assert item["numbertype"] == "MOBILE" and item["isvalid"] == "Yes" and item["state"] == "COMPLETED"
    for key in (
        "ispossiblyported",
        "isvanitynumber",
        "qualifiesforhlrlookup",
        "originalcarrier",
        "countrycode",
    ):
        assert key in item
    assert {"usercharge", "inserttime", "infotext", "interface"} <= set(item)


def test_webhook_retries_then_gives_up(emu: Emulator) -> None:
    flaky, dead = Receiver(fail_first=2), Receiver(fail_first=100)
    try:
        emu.webhook_urls["hlrlookups"] = [flaky.url]
        hlr_post(emu, "/mnp-lookups", {"msisdns": ["+491788735000"]})
        assert emu.wait_deliveries(5)
        assert [d.status for d in emu.deliveries] == [500, 500, 200]
        assert [d.attempt for d in emu.deliveries] == [1, 2, 3]
        assert not any(d.gave_up for d in emu.deliveries)
        emu.reset()
        emu.webhook_urls["hlrlookups"] = [dead.url]
        hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]})
        assert emu.wait_deliveries(5)
        assert len(emu.deliveries) == 4 and emu.deliveries[-1].gave_up
        assert emu.deliveries[-1].error == "HTTP 500"
    finally:
        flaky.close()
        dead.close()


def test_unreachable_webhook_is_recorded(emu: Emulator) -> None:
    emu.retry_delays = []
    emu.webhook_urls["hlrlookups"] = ["http://127.0.0.1:9/nothing-listens-here"]
    hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]})
    assert emu.wait_deliveries(5)
    (delivery,) = emu.deliveries
    assert delivery.status is None and delivery.error and delivery.gave_up


def test_duplicate_deliveries(emu: Emulator, receiver: Receiver) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    emu.duplicate_deliveries = True
    hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000", "+491788735001"]})
    assert emu.wait_deliveries(5)
    assert len(receiver.hits) == 2 and receiver.hits[0][1] == receiver.hits[1][1]
    assert emu.charge_count() == 2


def test_catalogue_endpoints(emu: Emulator) -> None:
    coverage = hlr_get(emu, "/hlr-coverage", countrycode="DE").json()
    assert coverage["countrycode"] == "DE" and coverage["prefix"] == "+49"
    carrier = coverage["carriers"][0]
    assert carrier["mnc"] == "01 " and carrier["mccmnc"] == "26201"
    route = carrier["routes"][0]
    assert route["n"] == route["CONNECTED"] + route["ABSENT"] + route["INVALID_MSISDN"] + route["UNDETERMINED"]
    assert hlr_get(emu, "/hlr-coverage").status_code == 400
    assert hlr_get(emu, "/hlr-coverage", countrycode="DE", sample_size="HUGE").status_code == 400
    items = hlr_get(emu, "/mccmncs", countrycode="FR").json()["items"]
    # parent_mccmnc: documented, missing from the example; sent for every other network.
    assert {i["country_code"] for i in items} == {"FR"} and {"parent_mccmnc" in i for i in items} == {True, False}
    everything = hlr_get(emu, "/mnp-coverage").json()["items"]
    assert {"DE", "FR", "GB", "US"} <= {i["country_code"] for i in everything}
    assert any(i["mnc"].endswith(" ") for i in everything)
    assert hlr_get(emu, "/routes").json()["routes"]["MNP"] == ["PTX", "IP4"]
    assert "mccmncs" in hlr_get(emu, "/routing-map").json()["routing"]["map"]
    assert "US" in hlr_get(emu, "/mnp-countries").json()["countries"]
    assert hlr_get(emu, "/route", msisdn="+491788735000").json()["mccmnc"] == "26203"
    price = hlr_get(emu, "/price", msisdn="+491788735000", route_type="NT").json()["price"]
    assert price == {"amount": "0.00500", "msisdn": "+491788735000", "route_type": "NT", "route": "LC1"}
    assert hlr_get(emu, "/price", msisdn="+491788735000").status_code == 400
    assert {p["route_type"] for p in hlr_get(emu, "/price-list").json()["pricing"]} == {"HLR", "MNP", "NT"}
    assert emu.charge_count() == 0


# -- smspartner ----------------------------------------------------------------------------------------------


def test_smspartner_error_codes(emu: Emulator) -> None:
    no_key = requests.post(emu.smspartner_url + "/hlr/notify", json={"phoneNumbers": "+33612345678"}, timeout=5)
    assert no_key.status_code == 400 and no_key.json()["code"] == 1 and no_key.json()["success"] is False
    wrong = requests.post(
        emu.smspartner_url + "/hlr/notify", json={"apiKey": "nope", "phoneNumbers": "+33612345678"}, timeout=5
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == 10 and wrong.json()["message"]
    assert smsp(emu, "/hlr/notify").json()["code"] == 2
    assert smsp(emu, "/hlr/notify", phoneNumbers="").json()["code"] == 2
    assert smsp(emu, "/hlr/notify", phoneNumbers="+33612345678;+33612345679").json()["code"] == 3
    assert smsp(emu, "/lookup", phoneNumbers="+33612345678 +33612345679").json()["code"] == 3
    too_many = ",".join(f"+336123{i:05d}" for i in range(501))
    over = smsp(emu, "/hlr/notify", phoneNumbers=too_many)
    # Code 9 as the Go SDK's fixture: no `message`, the field and its message in the `error` list.
    assert over.status_code == 400 and over.json()["code"] == 9 and "message" not in over.json()
    [detail] = over.json()["error"]
    assert detail["elementId"] == "children[phoneNumbers].data" and "500" in detail["message"]
    assert smsp(emu, "/hlr/notify", phoneNumbers="+33612345678", tag="x" * 21).json()["success"] is False
    assert emu.charge_count() == 0
    emu.smspartner_error_http_status = 200
    assert smsp(emu, "/hlr/notify").status_code == 200


def test_smspartner_notify_charges_and_notifies(emu: Emulator, receiver: Receiver) -> None:
    numbers = ["+33612345670", "+33612345676", "+33612345678", "+33612345679", "0612345671"]
    r = smsp(emu, "/hlr/notify", phoneNumbers=",".join(numbers), notifyUrl=receiver.url, tag="job1")
    answer = r.json()
    assert answer["success"] is True and answer["code"] == 200 and answer["currency"] == "EUR"
    assert answer["campaign_id"].startswith("HLR") and len(answer["campaign_id"]) == 9
    assert answer["number"] == 4 and answer["cost"] == pytest.approx(0.02)
    assert emu.charged_numbers("smspartner") == {n: 1 for n in numbers[:4]}
    assert emu.wait_deliveries(5)
    notes = {}
    for headers, body in receiver.hits:
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        note = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        notes[note["phone"]] = note
    assert set(notes) == set(numbers[:4])
    assert [notes[n]["errorGrpId"] for n in numbers[:4]] == ["0", "27", "1", "255"]
    # The seed's spelling, trailing space included.
    assert (notes["+33612345670"]["errorName"], notes["+33612345670"]["errorDesc"]) == ("NO_ERROR ", "No Error")
    assert notes["+33612345679"]["ported"] == "1"
    assert {"messageId", "mccMnc", "errorDesc", "date"} <= set(notes["+33612345670"])
    second = smsp(emu, "/hlr/notify", phoneNumbers="+33612345670").json()
    assert second["campaign_id"] != answer["campaign_id"]
    emu.smspartner_notify_format = "json"
    smsp(emu, "/hlr/notify", phoneNumbers="+33612345672", notifyUrl=receiver.url)
    assert emu.wait_deliveries(5)
    assert json.loads(receiver.hits[-1][1])["errorGrpId"] == 0


def test_smspartner_lookup_me_and_rental_status(emu: Emulator) -> None:
    lookup = smsp(emu, "/lookup", phoneNumbers="+33612345678,0612345678,nonsense").json()
    assert lookup["success"] is True
    first, national, bad = lookup["lookup"]
    assert first["countryCode"] == "France" and first["type"] == "Mobile" and first["prefixCode"] == 33
    assert first["format"]["e164"] == "+33612345678" and national["phoneNumber"] == "+33612345678"
    assert set(first["format"]) == {"e164", "international", "national", "rfc3966"}
    assert bad["success"] is False and bad["request"] == "nonsense"
    me = requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}, timeout=5).json()
    assert set(me["credits"]) == {
        "creditSms",
        "creditSmsECO",
        "creditHlr",
        "toSend",
        "solde",
        "currency",
        "balance",
    }
    before = me["credits"]["creditHlr"]
    smsp(emu, "/hlr/notify", phoneNumbers="+33612345678,+33612345679")
    after = requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}, timeout=5).json()
    assert after["credits"]["creditHlr"] == before - 2
    assert emu.charge_count() == 2  # /lookup and /me are free

    def status(**params: str) -> requests.Response:
        return requests.get(emu.smspartner_url + "/location/status", params=params, timeout=5)

    assert status(apiKey=SMSP_KEY).json()["code"] == 31
    assert status(apiKey=SMSP_KEY, token="unknown").json()["code"] == 32
    assert status(apiKey="wrong", token="tok-ready").json()["code"] == 10
    ready = status(apiKey=SMSP_KEY, token="tok-ready").json()
    assert ready["success"] is True and ready["token"] == "tok-ready" and "ready" in ready["status"]
    assert "code" not in ready  # as the seed's example: the only answer without one
    assert ready["location"]["details_localisation"][0]["Type"] == "cp" and "phoneNumbers" in ready["file"]
    emu.rental_tokens["mine"] = 3
    assert "failed" in status(apiKey=SMSP_KEY, token="mine").json()["status"]


def test_smspartner_rate_limit(emu: Emulator) -> None:
    emu.rate_limits["smspartner"] = 3
    emu.rate_window = 0.4
    codes = [smsp(emu, "/lookup", phoneNumbers="+33612345678").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = smsp(emu, "/hlr/notify", phoneNumbers="+33612345678")
    assert limited.json() == {"success": False, "code": 429, "message": "Too many requests"}
    assert "Retry-After" not in limited.headers
    assert requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}, timeout=5).status_code == 200
    assert emu.charge_count() == 0
    time.sleep(0.45)
    assert smsp(emu, "/hlr/notify", phoneNumbers="+33612345678").status_code == 200


def test_rate_limit_on_another_provider_sends_retry_after(emu: Emulator) -> None:
    emu.rate_limits["hlrlookups"] = 2
    emu.rate_window = 5
    assert [hlr_get(emu, "/auth-test").status_code for _ in range(2)] == [200, 200]
    limited = hlr_get(emu, "/auth-test")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1" and limited.json()["errors"]


# -- affiliate -----------------------------------------------------------------------------------------------


def test_affiliate_auth_and_payload_format(emu: Emulator) -> None:
    r = aff_create(emu, {"msisdn": "380505142320", "reference": "a"}, key="live_wrong")
    assert r.status_code == 401 and r.json() == {"error": "1", "errorDescription": "Invalid API key"}
    assert requests.get(emu.affiliate_url + "/hlr/prices", timeout=5).status_code == 401
    as_json = requests.put(
        emu.affiliate_url + "/hlr/create",
        json={"msisdn": "380505142320", "reference": "a"},
        headers={"X-API-KEY": AFF_KEY},
        timeout=5,
    )
    assert as_json.status_code == 400 and as_json.json()["error"] == "14"
    assert as_json.json()["errorDescription"].startswith("Incorrect payload")
    assert aff_create(emu, {"msisdn": "380505142320"}).json()["error"] == "14"
    assert emu.charge_count() == 0


def test_affiliate_single_create_and_idempotent_reference(emu: Emulator) -> None:
    ok = aff_create(emu, {"msisdn": "380505142320", "reference": "job1", "tariff": "9"})
    body = ok.json()
    assert ok.status_code == 200 and body["error"] == "0" and body["id"].isdigit()
    assert body["price"] == "0.002" and body["currency"] == "EUR"
    again = aff_create(emu, {"msisdn": "380505142320", "reference": "job1"}).json()
    assert again == {"error": "13", "errorDescription": "HLR already exists", "id": body["id"]}
    bad = aff_create(emu, {"msisdn": "+380505142320", "reference": "job2"})
    assert bad.status_code == 400 and bad.json() == {"error": "11", "errorDescription": "Incorrect msisdn"}
    assert emu.charged_numbers("affiliate") == {"+380505142320": 1}
    post = requests.post(
        emu.affiliate_url + "/hlr/create",
        files={"msisdn": (None, "491788735001"), "reference": (None, "job3")},
        headers={"X-API-KEY": AFF_KEY},
        timeout=5,
    )
    assert post.json()["error"] == "0"


def test_affiliate_multiple_create(emu: Emulator) -> None:
    aff_create(emu, {"msisdn": "380505142320", "reference": "seen"})
    items = [
        {"msisdn": "380972920000", "reference": "r1", "tariff": 9},
        {"msisdn": "380972920001", "reference": "seen"},
        {"msisdn": "12", "reference": "r3"},
    ]
    answer = aff_create(emu, {"payload": json.dumps(items)}).json()
    assert answer["error"] == "0" and answer["totalprice"] == "0.002" and answer["currency"] == "EUR"
    ok, dup, bad = answer["result"]
    assert ok["reference"] == "r1" and ok["error"] == "0" and ok["id"].isdigit() and ok["price"] == "0.002"
    # The docs print this item's key with a leading space.
    assert dup["error"] == "13" and dup["id"] and dup[" errorDescription"] == "HLR already exists"
    assert bad == {"reference": "r3", "error": "11", "errorDescription": "Incorrect msisdn"}
    assert all(isinstance(v, str) for item in answer["result"] for v in item.values())
    assert emu.charge_count("affiliate") == 2


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        json.dumps({"msisdn": "380972920000", "reference": "x"}),
        json.dumps([{"msisdn": "380972920000", "reference": "fine"}, {"reference": "no-msisdn"}]),
        json.dumps([{"msisdn": "380972920000", "reference": "fine"}, {"msisdn": "380972920001"}]),
    ],
)
def test_affiliate_broken_payload_creates_nothing(emu: Emulator, payload: str) -> None:
    r = aff_create(emu, {"payload": payload})
    assert r.status_code == 400 and r.json()["error"] == "14"
    assert emu.charge_count() == 0
    assert aff_get(emu, "/hlr/reference/fine").json()["error"] == "10"


def test_affiliate_batch_limit(emu: Emulator) -> None:
    emu.affiliate_max_batch = 3
    items = [{"msisdn": f"38097292000{i}", "reference": f"b{i}"} for i in range(4)]
    assert aff_create(emu, {"payload": json.dumps(items)}).json()["error"] == "14"
    assert aff_create(emu, {"payload": json.dumps(items[:3])}).json()["totalprice"] == "0.006"


def test_affiliate_polling_callback_and_prices(emu: Emulator, receiver: Receiver) -> None:
    items = [
        {"msisdn": "380972920000", "reference": "p0", "callback_url": receiver.url},
        {"msisdn": "380972920907", "reference": "p1", "callback_url": "not a url"},
    ]
    result = aff_create(emu, {"payload": json.dumps(items)}).json()["result"]
    first = aff_get(emu, f"/hlr/{result[0]['id']}").json()
    assert first["status"] == "sent"
    final = aff_get(emu, f"/hlr/{result[0]['id']}").json()
    assert final["status"] == "active" and final["network"] == "25501" and final["reference"] == "p0"
    assert final["details"] == {"ported": "0", "roaming": "0"}
    aff_get(emu, "/hlr/reference/p1")
    other = aff_get(emu, "/hlr/reference/p1").json()
    # Flags only for active ("complete information is available if the status is active").
    assert other["status"] == "absent" and other["details"] == {"ported": "0", "roaming": "0"}
    assert other["network"] == "25501"  # "number's mccmnc (for absent, active statuses)"
    missing = aff_get(emu, "/hlr/999999")
    assert missing.status_code == 404 and missing.json() == {
        "error": "10",
        "errorDescription": "HLR not found",
    }
    assert emu.wait_deliveries(5)
    assert len(receiver.hits) == 1  # the invalid callback_url falls back to none configured
    assert json.loads(receiver.hits[0][1]) == final
    prices = aff_get(emu, "/hlr/prices").json()
    assert prices["error"] == "0" and {"type", "country", "country_name", "mcc", "price", "currency"} == set(
        prices["prices"][0]
    )
    assert aff_get(emu, "/hlr/prices/3").json()["error"] == "0"
    bad_tariff = aff_get(emu, "/hlr/prices/12").json()
    assert bad_tariff == {"error": "6", "errorDescription": "Invalid tariff code"}


# -- fault injection -----------------------------------------------------------------------------------------


def test_inject_answers_without_processing(emu: Emulator) -> None:
    emu.inject(503, path="/hlr-lookup", times=2)
    emu.inject(429, headers={"Retry-After": "1"}, provider="smspartner")
    for _ in range(2):
        r = hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
        assert r.status_code == 503 and r.json() == {"errors": ["Service unavailable."]}
    assert hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]}).status_code == 200  # no suffix match
    assert emu.charge_count() == 1
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"}).status_code == 200
    limited = smsp(emu, "/hlr/notify", phoneNumbers="+33612345678")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json() == {"success": False, "code": 429}
    emu.inject(502, body="<html>Bad gateway</html>", provider="affiliate")
    assert aff_get(emu, "/hlr/prices").text == "<html>Bad gateway</html>"
    assert [r.status for r in emu.requests_to("/hlr-lookup")] == [503, 503, 200]


def test_inject_garbage(emu: Emulator) -> None:
    emu.inject_garbage(provider="hlrlookups")
    r = hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert emu.charge_count() == 0


def test_inject_drop_after_and_before_processing(emu: Emulator) -> None:
    emu.inject_drop(path="/hlr-lookup")
    with pytest.raises(requests.ConnectionError):
        hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
    assert emu.charged_numbers() == {"+491788735000": 1}
    assert emu.requests_to("/hlr-lookup")[0].status == 0
    emu.inject_drop(provider="affiliate", after_processing=False)
    with pytest.raises(requests.ConnectionError):
        aff_create(emu, {"msisdn": "380505142320", "reference": "d1"})
    assert emu.charge_count("affiliate") == 0
    assert aff_create(emu, {"msisdn": "380505142320", "reference": "d1"}).json()["error"] == "0"


def test_inject_delay_causes_client_timeout_after_charging(emu: Emulator) -> None:
    emu.inject_delay(0.6, path="/hlr/notify")
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            emu.smspartner_url + "/hlr/notify",
            json={"apiKey": SMSP_KEY, "phoneNumbers": "+33612345678"},
            timeout=(2, 0.2),
        )
    assert emu.charge_count("smspartner") == 1


def test_latency_keepalive_and_concurrency(emu: Emulator) -> None:
    emu.latency = 0.1
    started = time.monotonic()
    assert requests.get(emu.hlr_url + "/ping", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.1
    emu.latency = 0.05
    before = emu.connection_count
    session = requests.Session()
    for _ in range(5):
        session.get(emu.hlr_url + "/ping", timeout=5)
    assert emu.connection_count == before + 1

    local = threading.local()

    def call(i: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        body = json.dumps({"msisdn": f"+4917612{i:05d}"}).encode()
        r = local.session.post(emu.hlr_url + "/hlr-lookup", data=body, headers=digest_headers("/hlr-lookup", body))
        return r.status_code

    before = emu.connection_count
    with ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(call, range(320)))
    assert codes == [200] * 320
    # 32 workers, each on its own kept-alive connection: served side by side, not one at a time.
    assert 16 <= emu.connection_count - before <= 32
    assert max(emu.charged_numbers().values()) == 1 and emu.charge_count() == 320


# -- control, reset, standalone ------------------------------------------------------------------------------


def test_control_endpoints_and_reset(emu: Emulator) -> None:
    hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
    hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
    smsp(emu, "/hlr/notify", phoneNumbers="+33612345678")
    stats = requests.get(emu.url + "/_emu/stats", timeout=5).json()
    assert stats["charges"] == 3 and stats["charged_distinct"] == 2
    assert stats["requests"] == 3 and stats["max_charges_per_number"] == 2
    config = requests.post(emu.url + "/_emu/config", json={"latency": 0.01, "rate_limits": {"x": 1}}, timeout=5)
    assert config.status_code == 200 and emu.latency == 0.01 and emu.rate_limits["smspartner"] == 360
    assert requests.post(emu.url + "/_emu/config", json={"nope": 1}, timeout=5).status_code == 400
    emu.inject(500)
    assert requests.post(emu.url + "/_emu/reset", timeout=5).json() == {"success": True}
    assert emu.requests == [] and emu.charges == [] and emu.charged_numbers() == {}
    assert hlr_get(emu, "/balance").json() == {"balance": "100.00"}  # the injected 500 is gone too
    assert requests.get(emu.url + "/_emu/stats", timeout=5).json()["requests"] == 1


def test_records_hold_the_request(emu: Emulator) -> None:
    requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}, timeout=5)
    hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
    me, lookup = emu.requests
    assert (me.provider, me.method, me.path, me.query, me.status) == (
        "smspartner",
        "GET",
        "/me",
        {"apiKey": SMSP_KEY},
        200,
    )
    assert lookup.headers["x-digest-key"] == HLR_KEY and lookup.json() == {"msisdn": "+491788735000"}
    assert emu.requests_to("/hlr-lookup", provider="hlrlookups") == [lookup]
    assert emu.requests_to("/me", provider="affiliate") == []


def test_library_mode_is_silent(capfd: pytest.CaptureFixture[str], emu: Emulator) -> None:
    hlr_post(emu, "/hlr-lookup", {"msisdn": "+49"})
    requests.get(emu.url + "/elsewhere", timeout=5)
    emu.inject_drop()
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.hlr_url + "/ping", timeout=5)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_standalone_mode_prints_env_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--port", "0", "--latency", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        exports = {}
        while "AFFILIATE_SMS_BASE_URL" not in exports:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value
        assert exports["HLR_LOOKUPS_API_KEY"] == HLR_KEY
        base = exports["HLR_LOOKUPS_BASE_URL"].removesuffix("/hlr/api/v2")
        assert requests.get(exports["HLR_LOOKUPS_BASE_URL"] + "/ping", timeout=5).status_code == 200
        assert requests.get(base + "/_emu/stats", timeout=5).json()["requests"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


# -- faults after processing: the answer broken, dropped, dripped, huge --------------------------------------


def raw_request(
    emu: Emulator, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> socket.socket:
    """A request on a fresh raw socket (for answers `requests` would not let us watch byte by byte)."""
    sock = socket.create_connection((emu.host, emu.port), timeout=5)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {emu.host}:{emu.port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and whatever body bytes came with them."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the end of the headers: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, rest


def read_to_eof(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def raw_hlr_lookup(emu: Emulator, number: str) -> socket.socket:
    body = json.dumps({"msisdn": number}).encode()
    return raw_request(emu, "POST", "/hlr/api/v2/hlr-lookup", body, digest_headers("/hlr-lookup", body))


def the_stored_result(emu: Emulator) -> dict[str, Any]:
    (result,) = emu.stored_results().values()
    return result


@pytest.mark.parametrize("kind", ["truncated", "list", "gateway502", "gateway504", "empty"])
def test_inject_broken_processes_and_charges_then_breaks_the_answer(emu: Emulator, kind: str) -> None:
    emu.inject_broken(kind, path="/hlr-lookup")
    r = hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"})
    assert emu.charges == [("hlrlookups", "HLR", "+491788735000")]
    real = php_json(the_stored_result(emu))  # the answer the client should have had
    (record,) = emu.requests_to("/hlr-lookup")
    assert record.fault == f"broken:{kind}" and record.status == r.status_code
    if kind == "truncated":
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
        assert r.content == real[: len(real) // 2]
        with pytest.raises(ValueError):
            r.json()
    elif kind == "list":
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
        assert r.json() == [json.loads(real)]
    elif kind == "empty":
        assert r.status_code == 200 and r.content == b"" and r.headers["Content-Length"] == "0"
    else:
        status = int(kind.removeprefix("gateway"))
        assert r.status_code == status and r.headers["Content-Type"] == "text/html"
        assert (
            r.text
            == f"<html><body><h1>{status} {'Bad Gateway' if status == 502 else 'Gateway Time-out'}</h1></body></html>"
        )
    # Used up: the next request is answered normally, and charged again.
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"}).json()["msisdn"] == "+491788735000"
    assert emu.charge_count() == 2 and emu.fault_counts() == {f"broken:{kind}": 1}


def test_broken_answers_on_every_provider_versus_refusals(emu: Emulator) -> None:
    emu.inject_broken("list", provider="smspartner")
    emu.inject_broken("truncated", path="/hlr/create", times=2)
    notify = smsp(emu, "/hlr/notify", phoneNumbers="+33612345678")
    (answer,) = notify.json()
    assert answer["success"] is True and answer["number"] == 1
    for reference in ("t1", "t2"):
        created = aff_create(emu, {"msisdn": "380505142320", "reference": reference})
        assert created.status_code == 200 and created.content.startswith(b'{"error":"')
        with pytest.raises(ValueError):
            created.json()
    assert emu.charged_numbers() == {"+33612345678": 1, "+380505142320": 2}
    # `inject` is still the refusal before processing: a provider-shaped error, nothing charged.
    emu.inject(503, provider="affiliate")
    refused = aff_create(emu, {"msisdn": "380505142320", "reference": "t3"})
    assert refused.status_code == 503 and refused.json() == {"error": "503", "errorDescription": "Service unavailable."}
    assert emu.charge_count() == 3
    with pytest.raises(ValueError):
        emu.inject_broken("html")


def test_random_faults_are_reproducible_and_strike_only_billed_endpoints(emu: Emulator) -> None:
    emu.configure({"fail_rate": 0.25, "drop_rate": 0.25, "malformed_rate": 0.25, "fault_seed": 7})
    numbers = [f"+4917612{i:05d}" for i in range(40)]

    def run() -> list[str | None]:
        for number in numbers:
            try:
                r = hlr_post(emu, "/hlr-lookup", {"msisdn": number})
            except requests.ConnectionError:
                r = None
            record = emu.requests_to("/hlr-lookup")[-1]
            if record.fault is None:
                assert r is not None and r.status_code == 200 and r.json()["msisdn"] == number
            elif record.fault == "random:fail":
                assert r is not None and r.status_code == 503 and r.json() == {"errors": ["Service unavailable."]}
            elif record.fault == "random:drop":
                assert r is None
            else:
                kind = record.fault.removeprefix("random:broken:")
                assert kind in BROKEN_KINDS and r is not None and r.status_code in (200, 502, 504)
            # Free endpoints are left alone.
            assert hlr_get(emu, "/balance").status_code == 200
        return [r.fault for r in emu.requests_to("/hlr-lookup")]

    faults = run()
    kinds = {f if f is None or not f.startswith("random:broken:") else "random:broken" for f in faults}
    assert kinds == {None, "random:fail", "random:drop", "random:broken"}
    # Refused requests are not charged; dropped and broken ones are, like the ones answered.
    assert emu.charged_numbers() == {n: 1 for n, f in zip(numbers, faults, strict=True) if f != "random:fail"}
    assert emu.fault_counts() == Counter(f for f in faults if f is not None)
    assert emu.stats()["faults"] == dict(emu.fault_counts())
    assert all(r.fault is None for r in emu.requests_to("/balance"))

    emu.reset()  # the same seed replays the same faults
    assert run() == faults

    emu.reset()
    emu.fault_paths = ["/balance"]
    emu.fail_rate, emu.drop_rate, emu.malformed_rate = 1.0, 0.0, 0.0
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": numbers[0]}).status_code == 200
    assert hlr_get(emu, "/balance").json() == {"errors": ["Service unavailable."]}
    emu.fault_paths = None
    emu.fail_rate, emu.malformed_rate, emu.malformed_kinds = 0.0, 1.0, ["gateway502"]
    assert smsp(emu, "/hlr/notify", phoneNumbers="+33612345678").status_code == 502
    assert smsp(emu, "/lookup", phoneNumbers="+33612345678").status_code == 200  # free: not a fault path
    assert emu.charge_count() == 2


def test_fault_settings_through_the_control_endpoint(emu: Emulator) -> None:
    config = emu.url + "/_emu/config"
    ok = requests.post(config, json={"drop_rate": 1, "fault_seed": 3, "fault_paths": ["/hlr/create"]}, timeout=5)
    assert ok.status_code == 200 and (emu.drop_rate, emu.fault_seed, emu.fault_paths) == (1.0, 3, ["/hlr/create"])
    with pytest.raises(requests.ConnectionError):
        aff_create(emu, {"msisdn": "380505142320", "reference": "x"})
    assert emu.charge_count("affiliate") == 1
    bad_settings = (
        {"fail_rate": 0.5},  # 0.5 + 1 > 1
        {"malformed_rate": 2},
        {"drop_rate": -0.1},
        {"malformed_kinds": ["html"]},
        {"retry_after": -1},
    )
    for bad in bad_settings:
        r = requests.post(config, json=bad, timeout=5)
        assert r.status_code == 400, bad
    assert (emu.fail_rate, emu.malformed_rate, emu.malformed_kinds) == (0.0, 0.0, list(BROKEN_KINDS))
    assert requests.post(config, json={"drop_rate": 0, "malformed_kinds": ["empty"]}, timeout=5).status_code == 200
    assert emu.malformed_kinds == ["empty"]
    current = requests.get(config, timeout=5).json()
    assert current == emu.settings()
    assert current["drop_rate"] == 0.0 and current["fault_seed"] == 3 and current["fault_paths"] == ["/hlr/create"]
    assert current["retry_after"] == {"hlrlookups": 1.0, "smspartner": None, "affiliate": 1.0}


# -- rate limits ---------------------------------------------------------------------------------------------


def test_any_provider_can_be_rate_limited_with_or_without_retry_after(emu: Emulator) -> None:
    emu.rate_limits.update(smspartner=4, affiliate=2)
    emu.rate_windows.update(smspartner=10, affiliate=10)  # long enough not to expire during the test
    emu.rate_window = 0.001  # the default for the others: would let every request through
    codes = [smsp(emu, "/hlr/notify", phoneNumbers=f"+3361234567{i}").status_code for i in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    limited = emu.requests_to("/hlr/notify")[-1]
    assert limited.throttled and limited.status == 429
    assert emu.charge_count("smspartner") == 4

    creates = [aff_create(emu, {"msisdn": "380505142320", "reference": f"rl{i}"}) for i in range(3)]
    assert [r.status_code for r in creates] == [200, 200, 429]
    assert creates[2].json() == {"error": "429", "errorDescription": "Too many requests"}
    assert creates[2].headers["Retry-After"] == "1"
    emu.retry_after = None  # no header anywhere: the client must back off on its own
    assert "Retry-After" not in aff_get(emu, "/hlr/prices").headers
    emu.retry_after = {"affiliate": 2.5}
    assert aff_get(emu, "/hlr/prices").headers["Retry-After"] == "2.5"
    assert "Retry-After" not in smsp(emu, "/lookup", phoneNumbers="+33612345678").headers
    assert requests.post(emu.url + "/_emu/config", json={"retry_after": 30}, timeout=5).status_code == 200
    assert smsp(emu, "/lookup", phoneNumbers="+33612345678").headers["Retry-After"] == "30"

    assert emu.throttled_count("smspartner") == 3 and emu.throttled_count("affiliate") == 3
    assert emu.throttled_count() == 6 == sum(r.throttled for r in emu.requests)
    assert emu.stats()["throttled"] == {"hlrlookups": 0, "smspartner": 3, "affiliate": 3}
    emu.inject(429, provider="hlrlookups")  # an injected 429 is not the limiter's
    assert hlr_get(emu, "/balance").status_code == 429 and emu.throttled_count() == 6
    assert emu.charge_count() == 6


# -- slow and oversized answers ------------------------------------------------------------------------------


def test_drip_sends_the_processed_answer_byte_by_byte_until_the_client_hangs_up(emu: Emulator) -> None:
    emu.inject_drip(30, path="/hlr-lookup")  # a byte every 30 s: only the hang-up can end it within the test
    sock = raw_hlr_lookup(emu, "+491788735000")
    try:
        assert sock.recv(1) == b"H"
        sock.settimeout(0.2)
        with pytest.raises(socket.timeout):  # the rest is not there: it comes a byte at a time
            sock.recv(1)
        # Meanwhile, other connections are served.
        assert requests.get(emu.hlr_url + "/ping", timeout=5).json() == {"success": True}
    finally:
        sock.close()
    assert emu.wait_answers(5)
    record = emu.requests_to("/hlr-lookup")[0]
    assert record.fault == "drip" and record.status == 0 and record.sent == 1
    assert emu.charge_count() == 1 and len(emu.stored_results()) == 1


@pytest.mark.parametrize("after_processing", [True, False])
def test_drip_to_the_end(emu: Emulator, after_processing: bool) -> None:
    emu.inject_drip(0.001, path="/hlr-lookup", after_processing=after_processing)
    with raw_hlr_lookup(emu, "+491788735000") as sock:
        received = read_to_eof(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close" in head and f"Content-Length: {len(body)}".encode() in head
    record = emu.requests_to("/hlr-lookup")[0]
    assert record.sent == len(received)
    if after_processing:
        assert head.startswith(b"HTTP/1.1 200 ") and json.loads(body) == the_stored_result(emu)
        assert record.fault == "drip" and record.status == 200 and emu.charge_count() == 1
    else:
        assert head.startswith(b"HTTP/1.1 503 ") and json.loads(body) == {"errors": ["Service unavailable."]}
        assert record.fault == "drip-before" and record.status == 503 and emu.charge_count() == 0


def test_drip_and_delay_end_when_the_emulator_stops() -> None:
    emulator = Emulator().start()
    # A byte every 30 s, an answer in 30 s: only the stop can end them within the test.
    emulator.inject_drip(30, path="/ping")
    emulator.inject_delay(30, path="/time")
    with raw_request(emulator, "GET", "/hlr/api/v2/ping") as drip, raw_request(emulator, "GET", "/hlr/api/v2/time"):
        assert drip.recv(1) == b"H"
        time.sleep(0.2)  # not a measurement: lets the handlers settle into their waits, which the stop must break
        emulator.stop()
        assert read_to_eof(drip) == b""  # the socket timeout (5 s) would raise instead
    assert emulator.wait_answers(5)
    assert sorted(str(r.fault) for r in emulator.requests) == ["delay", "drip"]
    assert emulator.server_errors == []


def test_huge_answer_is_streamed_and_stops_when_the_client_hangs_up(emu: Emulator) -> None:
    size = 80 * 1024 * 1024
    emu.inject_huge(size, path="/hlr-lookup")
    with raw_hlr_lookup(emu, "+491788735000") as sock:
        status, headers, got = read_head(sock)
        assert status == 200 and headers["content-type"] == "application/json"
        assert headers["content-length"] == str(size) and headers["connection"] == "close"
        while len(got) < 256 * 1024:
            got += sock.recv(65536)
        assert got.startswith(b'{"results":[],"padding":"xxx')
    assert emu.wait_answers(10)
    record = emu.requests_to("/hlr-lookup")[0]
    assert record.fault == "huge" and record.status == 0 and 0 < record.sent < size
    assert emu.charge_count() == 1
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"}).status_code == 200


def test_huge_answer_read_to_the_end_is_never_held_in_memory(emu: Emulator) -> None:
    size = 80 * 1024 * 1024
    emu.inject_huge(size, provider="affiliate", after_processing=False)
    buffer = bytearray(1024 * 1024)
    tracemalloc.start()
    try:
        with raw_request(emu, "GET", "/affiliate/hlr/prices", headers={"X-API-KEY": AFF_KEY}) as sock:
            status, headers, first = read_head(sock)
            received, tail = len(first), first[-2:]
            while n := sock.recv_into(buffer):
                received += n
                tail = (tail + bytes(buffer[max(0, n - 2) : n]))[-2:]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200 and int(headers["content-length"]) == received == size and tail == b'"}'
    assert peak < 8 * 1024 * 1024, f"{peak} bytes allocated at peak while streaming {size}"
    record = emu.requests_to("/hlr/prices")[0]
    assert record.fault == "huge-before" and record.status == 200 and record.sent > size
    small = Emulator().start()
    try:
        small.inject_huge(1000, path="/ping")
        assert len(requests.get(small.hlr_url + "/ping", timeout=5).json()["padding"]) == 1000 - 27
    finally:
        small.stop()


# -- redirects to another host -------------------------------------------------------------------------------


CREDENTIAL_HEADERS = ("x-api-key", "x-digest-key", "x-digest-signature", "x-digest-timestamp", "x-basic")


def leaked_credentials(emu: Emulator) -> list[str]:
    """What of our credentials reached the foreign host, in any request."""
    leaks = []
    for r in emu.foreign_requests:
        leaks += [
            f"{r.path}: header {h.lower()}" for h in r.headers if h.lower() in (*CREDENTIAL_HEADERS, "authorization")
        ]
        if "apiKey" in r.query:
            leaks.append(f"{r.path}: apiKey in query")
        if b"apiKey" in r.body or any(s.encode() in r.body for s in (HLR_SECRET, SMSP_KEY, AFF_KEY)):
            leaks.append(f"{r.path}: credential in body")
    return leaks


def test_redirect_to_a_foreign_host_records_what_a_following_client_leaks(emu: Emulator) -> None:
    emulator_netloc = emu.url.removeprefix("http://")
    assert emu.foreign_url.removeprefix("http://") != emulator_netloc
    emu.inject_redirect(307, path="/hlr-lookup")
    emu.inject_redirect(302, path="/me")
    emu.inject_redirect(302, path="/hlr/create")

    # A client that follows redirects: requests re-sends custom headers, and a 307 keeps method and body.
    assert hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"}).json() == {}
    me = requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}, timeout=5)
    assert me.json() == {} and me.history[0].status_code == 302
    assert aff_create(emu, {"msisdn": "380505142320", "reference": "r"}).json() == {}
    lookup, credits, create = emu.foreign_requests
    assert (lookup.method, lookup.path, lookup.json()) == (
        "POST",
        "/hlr/api/v2/hlr-lookup",
        {"msisdn": "+491788735000"},
    )
    assert (credits.method, credits.query["apiKey"]) == ("GET", SMSP_KEY)
    assert create.method == "GET" and create.body == b""  # a 302 turns requests' PUT into a bodiless GET
    leaks = leaked_credentials(emu)
    assert any("x-digest-signature" in leak for leak in leaks)
    assert any("apiKey in query" in leak for leak in leaks) and any("x-api-key" in leak for leak in leaks)
    assert emu.charge_count() == 0
    assert [r.fault for r in emu.requests] == ["redirect"] * 3 and [r.status for r in emu.requests] == [307, 302, 302]

    # A client that does not follow: nothing reaches the foreign host.
    emu.reset()
    emu.inject_redirect(307, provider="smspartner")
    r = requests.post(
        emu.smspartner_url + "/hlr/notify",
        json={"apiKey": SMSP_KEY, "phoneNumbers": "+33612345678"},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 307 and r.headers["Location"] == emu.foreign_url + "/smspartner/v1/hlr/notify"
    assert emu.foreign_requests == [] and leaked_credentials(emu) == []
    # requests itself drops Authorization when the host changes; a Basic-auth client leaks nothing then.
    emu.inject_redirect(302, path="/balance")
    assert hlr_get(emu, "/balance").json() == {}
    assert leaked_credentials(emu) == [] and len(emu.foreign_requests) == 1
    with pytest.raises(ValueError):
        emu.inject_redirect(200)


# -- late results of uncertain requests ----------------------------------------------------------------------


def test_results_are_delivered_although_the_answer_was_lost(emu: Emulator, receiver: Receiver) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    emu.inject_broken("gateway504", path="/hlr-lookups")
    emu.inject_drop(path="/hlr/notify")
    emu.inject_broken("empty", path="/hlr/create")
    emu.malformed_rate, emu.malformed_kinds = 1.0, ["list"]  # hits /mnp-lookups: injected faults go first
    assert hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000", "+491788735001"]}).status_code == 504
    assert isinstance(hlr_post(emu, "/mnp-lookups", {"msisdns": ["+491788735002"]}).json(), list)
    with pytest.raises(requests.ConnectionError):
        smsp(emu, "/hlr/notify", phoneNumbers="+33612345678", notifyUrl=receiver.url)
    assert aff_create(emu, {"msisdn": "380505142320", "reference": "lost", "callback_url": receiver.url}).content == b""
    assert emu.wait_deliveries(5)
    assert [r.fault for r in emu.requests] == ["broken:gateway504", "random:broken:list", "drop", "broken:empty"]
    assert emu.charge_count() == 5
    hooks = [json.loads(body) for headers, body in receiver.hits if headers["Content-Type"] == "application/json"]
    by_type = {h.get("type"): h for h in hooks if "type" in h}
    assert [x["msisdn"] for x in by_type["HLR"]["results"]] == ["+491788735000", "+491788735001"]
    assert [x["msisdn"] for x in by_type["MNP"]["results"]] == ["+491788735002"]
    assert {x["id"] for h in by_type.values() for x in h["results"]} == set(emu.stored_results())
    note = next(parse_qs(b.decode()) for h, b in receiver.hits if h["Content-Type"].startswith("application/x-www"))
    assert note["phone"] == ["+33612345678"]
    assert note["errorGrpId"] == [str(emu.expected("+33612345678")["smspartner_error_group"])]
    callback = next(h for h in hooks if h.get("reference") == "lost")
    assert callback["status"] == "active" and callback["msisdn"] == "380505142320"
    # The lost submission is found by its reference too.
    emu.affiliate_pending_polls = 0
    assert aff_get(emu, "/hlr/reference/lost").json() == callback


def test_affiliate_without_poll_by_reference(emu: Emulator) -> None:
    emu.affiliate_poll_by_reference = False
    emu.affiliate_pending_polls = 0
    emu.inject_drop(path="/hlr/create")
    with pytest.raises(requests.ConnectionError):
        aff_create(emu, {"msisdn": "380505142320", "reference": "gone"})
    missing = aff_get(emu, "/hlr/reference/gone")
    assert missing.status_code == 404 and missing.json() == {"error": "404", "errorDescription": "Not found"}
    # The way back: the same reference again is free and names the id, which can be polled.
    again = aff_create(emu, {"msisdn": "380505142320", "reference": "gone"}).json()
    assert again["error"] == "13"
    assert aff_get(emu, f"/hlr/{again['id']}").json()["reference"] == "gone"
    assert emu.charge_count() == 1


def test_delivery_delay_per_provider(emu: Emulator, receiver: Receiver) -> None:
    ok = requests.post(emu.url + "/_emu/config", json={"delivery_delays": {"hlrlookups": 60}}, timeout=5)
    assert ok.status_code == 200 and emu.delivery_delays == {"hlrlookups": 60.0}
    emu.delivery_delays["smspartner"] = 0
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]})
    smsp(emu, "/hlr/notify", phoneNumbers="+33612345678", notifyUrl=receiver.url)
    for _ in range(500):
        if emu.deliveries:
            break
        time.sleep(0.01)
    assert [d.provider for d in emu.deliveries] == ["smspartner"]
    assert not emu.wait_deliveries(0.1)  # the hlrlookups webhook is still due in a minute
    emu.reset()


def test_standalone_fault_and_limit_flags() -> None:
    args = ["--port", "0", "--fail-rate", "1", "--seed", "5", "--rate-limit", "affiliate=1/60", "--retry-after", "none"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        exports = {}
        while "AFFILIATE_SMS_BASE_URL" not in exports:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "no output"
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value
        hlr, affiliate = exports["HLR_LOOKUPS_BASE_URL"], exports["AFFILIATE_SMS_BASE_URL"]
        body = json.dumps({"msisdn": "+491788735000"}).encode()
        refused = requests.post(hlr + "/hlr-lookup", data=body, headers=digest_headers("/hlr-lookup", body), timeout=5)
        assert refused.status_code == 503 and refused.json() == {"errors": ["Service unavailable."]}
        prices = [requests.get(affiliate + "/hlr/prices", headers={"X-API-KEY": AFF_KEY}, timeout=5) for _ in "ab"]
        assert [p.status_code for p in prices] == [200, 429] and "Retry-After" not in prices[1].headers
        stats = requests.get(hlr.removesuffix("/hlr/api/v2") + "/_emu/stats", timeout=5).json()
        assert stats["charges"] == 0 and stats["faults"] == {"random:fail": 1}
        assert stats["throttled"]["affiliate"] == 1
        config = requests.get(hlr.removesuffix("/hlr/api/v2") + "/_emu/config", timeout=5).json()
        assert (config["fail_rate"], config["fault_seed"], config["retry_after"]) == (1.0, 5, None)
        assert config["rate_limits"] == {"smspartner": 360, "affiliate": 1} and config["rate_windows"] == {
            "affiliate": 60
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    bad = subprocess.run(
        [sys.executable, "-m", "tests.emulator", "--fail-rate", "0.6", "--drop-rate", "0.6"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2 and "must not exceed 1" in bad.stderr


# -- the published payloads' variants (tests/fixtures/real/FINDINGS.md, section b) --------------------------


def test_routing_map_as_the_example_prints_it_or_as_its_table_says(emu: Emulator) -> None:
    example = hlr_get(emu, "/routing-map").json()["routing"]["map"]
    assert (example["defaultRoute"], example["mnpFallback"]) == ("V11", True)
    assert "default_route" not in example and "mnp_fallback" not in example
    assert all(isinstance(i["mccmnc"], int) for i in example["mccmncs"])  # `"mccmnc":20201`
    assert all(isinstance(i["mccmnc"], str) for i in example["prefixes"])  # `"mccmnc":"26203"`
    emu.configure({"hlr_routing_map_style": "table"})
    table = hlr_get(emu, "/routing-map").json()["routing"]["map"]
    assert (table["default_route"], table["mnp_fallback"]) == ("V11", True) and "defaultRoute" not in table
    assert [i["mccmnc"] for i in table["mccmncs"]] == [str(i["mccmnc"]) for i in example["mccmncs"]]
    with pytest.raises(ValueError, match="hlr_routing_map_style"):
        emu.configure({"hlr_routing_map_style": "camel"})


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_webhook_content_type_is_a_setting(emu: Emulator, receiver: Receiver, content_type: str | None) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    emu.configure({"hlr_webhook_content_type": content_type})
    hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]})
    assert emu.wait_deliveries(5)
    [(headers, body)] = receiver.hits
    # The body is the same signed JSON whatever the header says.
    assert headers.get("Content-Type") == content_type
    assert headers["X-Signatures"].split(";")[1] == webhook_signature(HLR_KEY, HLR_SECRET, body)
    assert json.loads(body)["type"] == "HLR"


def test_bulk_cost_is_a_number_for_nt_a_string_for_hlr_and_mnp(emu: Emulator) -> None:
    assert hlr_post(emu, "/nt-lookups", {"numbers": ["+4989702626"]}).json()["cost"] == 0.005
    assert hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]}).json()["cost"] == "0.0100"
    assert hlr_post(emu, "/mnp-lookups", {"msisdns": ["+491788735000"]}).json()["cost"] == "0.0050"


def test_sync_hlr_answer_stars_the_subscriber_identifiers_the_webhook_does_not(
    emu: Emulator, receiver: Receiver
) -> None:
    emu.webhook_urls["hlrlookups"] = [receiver.url]
    sync = hlr_post(emu, "/hlr-lookup", {"msisdn": "+491788735000"}).json()
    assert (sync["imsi"], sync["msin"], sync["msc"]) == ("*" * 15, "*" * 10, "*" * 12)
    hlr_post(emu, "/hlr-lookups", {"msisdns": ["+491788735000"]})
    assert emu.wait_deliveries(5)
    [pushed] = json.loads(receiver.hits[0][1])["results"]
    assert pushed["imsi"] == pushed["mccmnc"] + "X" * 10 and pushed["msin"] == "X" * 10


def test_price_list_decimals_and_the_mix_row(emu: Emulator) -> None:
    pricing = hlr_get(emu, "/price-list").json()["pricing"]
    assert {p["route_type"]: len(p["price"].split(".")[1]) for p in pricing} == {"HLR": 4, "MNP": 5, "NT": 5}
    emu.configure({"hlr_price_list_mix": True})
    [mix] = [p for p in hlr_get(emu, "/price-list").json()["pricing"] if p["route_type"] == "MIX"]
    assert (mix["route"], mix["price"]) == ("IP1", "0.01000")  # the example's row


def test_smspartner_go_sdk_shapes_of_me_and_lookup(emu: Emulator) -> None:
    def me() -> dict[str, Any]:
        return requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}, timeout=5).json()

    docs = me()
    assert "creditSmsECO" in docs["credits"] and set(docs["user"]) == {"username", "firstname", "lastname"}
    emu.configure({"smspartner_me_style": "go-sdk", "smspartner_lookup_style": "go-sdk"})
    go = me()
    assert go["credits"]["creditSmsLowCost"] == docs["credits"]["creditSmsECO"]
    assert "creditSmsECO" not in go["credits"] and set(go["user"]) == {"username"}
    [item] = smsp(emu, "/lookup", phoneNumbers="+33612345670").json()["lookup"]
    assert (item["countryCode"], item["network"]) == ("", "SFR")  # Go: no country, the network named
    with pytest.raises(ValueError, match="smspartner_me_style"):
        emu.configure({"smspartner_me_style": "php"})


def test_smspartner_notify_number_can_be_the_go_sdks(emu: Emulator) -> None:
    emu.configure({"smspartner_notify_number": 1})
    answer = smsp(emu, "/hlr/notify", phoneNumbers="+212620123456,+33612345670").json()
    # The Go SDK's fixture: two numbers sent, `number: 1`; both are still verified and charged.
    assert answer["number"] == 1 and emu.charge_count("smspartner") == 2


def test_affiliate_results_say_the_network_and_flags_only_as_the_docs_do(emu: Emulator) -> None:
    emu.affiliate_pending_polls = 0
    numbers = {"active": "380972920995", "absent": "380972920907", "failed": "380972920918", "unknown": "380972920999"}
    items = [{"msisdn": n, "reference": f"s{status}"} for status, n in numbers.items()]
    aff_create(emu, {"payload": json.dumps(items)})
    got = {status: aff_get(emu, f"/hlr/reference/s{status}").json() for status in numbers}
    assert {s: r["status"] for s, r in got.items()} == {s: s for s in numbers}
    assert {s: r["network"] for s, r in got.items()} == {
        "active": "25503", "absent": "25501", "failed": "", "unknown": "unknown",
    }  # fmt: skip
    # Every one of these numbers is ported and roaming by the emulator's rules: only `active` says so.
    assert got["active"]["details"] == {"ported": "1", "roaming": "1"}
    assert all(got[s]["details"] == {"ported": "0", "roaming": "0"} for s in ("absent", "failed", "unknown"))


def test_affiliate_references_must_be_32_letters_or_digits(emu: Emulator) -> None:
    single = aff_create(emu, {"msisdn": "380505142320", "reference": "with-dash"})
    assert single.status_code == 400 and single.json() == {"error": "15", "errorDescription": "Invalid External ID"}
    items = [
        {"msisdn": "380972920000", "reference": "a" * 32},
        {"msisdn": "380972920001", "reference": "a" * 33},
        {"msisdn": "380972920002", "reference": "extid_1"},
    ]
    ok, long, underscore = aff_create(emu, {"payload": json.dumps(items)}).json()["result"]
    assert ok["error"] == "0"
    assert long["error"] == underscore["error"] == "15"  # per item, like error 11: the others are created
    assert emu.charged_numbers("affiliate") == {"+380972920000": 1}


def test_affiliate_answers_under_rest_too(emu: Emulator) -> None:
    def get(path: str) -> requests.Response:
        return requests.get(emu.url + "/affiliate" + path, headers={"X-API-KEY": AFF_KEY}, timeout=5)

    assert get("/hlr/prices/0").json()["error"] == "0"
    assert get("/rest/hlr/prices/0").json()["error"] == "0"
    assert get("/restless/hlr/prices/0").status_code == 404
    emu.configure({"affiliate_path_prefixes": ["/rest"]})  # only the general page's form
    assert get("/hlr/prices/0").status_code == 404
    assert get("/rest/hlr/prices/0").json()["error"] == "0"
    created = requests.put(
        emu.url + "/affiliate/rest/hlr/create",
        files={"msisdn": (None, "380505142320"), "reference": (None, "viaRest")},
        headers={"X-API-KEY": AFF_KEY},
        timeout=5,
    ).json()
    assert created["error"] == "0" and get(f"/rest/hlr/{created['id']}").json()["reference"] == "viaRest"
    with pytest.raises(ValueError, match="affiliate_path_prefixes"):
        emu.configure({"affiliate_path_prefixes": ["rest"]})


def test_affiliate_dates_in_either_published_format(emu: Emulator) -> None:
    emu.affiliate_pending_polls = 0
    aff_create(emu, {"msisdn": "380505142320", "reference": "bsg"})
    emu.configure({"affiliate_datetime_style": "iso"})
    aff_create(emu, {"msisdn": "380505142320", "reference": "iso"})
    bsg, iso = (aff_get(emu, f"/hlr/reference/{r}").json()["createdDatetime"] for r in ("bsg", "iso"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", bsg), bsg  # bsg: Y-m-d H:i:s
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", iso), iso  # affiliate: 2015-08-04T06:50:19+00:00


def test_variant_settings_through_the_control_endpoint(emu: Emulator) -> None:
    config = emu.url + "/_emu/config"
    change = {
        "hlr_routing_map_style": "table", "hlr_webhook_content_type": None, "hlr_price_list_mix": True,
        "smspartner_me_style": "go-sdk", "smspartner_lookup_style": "go-sdk", "smspartner_notify_number": 1,
        "affiliate_path_prefixes": ["/rest"], "affiliate_datetime_style": "iso",
    }  # fmt: skip
    assert requests.post(config, json=change, timeout=5).status_code == 200
    current = requests.get(config, timeout=5).json()
    assert {k: current[k] for k in change} == change
    assert requests.post(config, json={"affiliate_datetime_style": "unix"}, timeout=5).status_code == 400
