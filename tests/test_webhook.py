"""The webhook receiver: a real server on 127.0.0.1 (in a thread, or `hlrcli webhook serve` as a process), fed
by hand-made deliveries and by the emulator's own webhooks, notifications and callbacks."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from hlrcli.config import Settings
from hlrcli.providers.smspartner import callback_result as smspartner_result
from hlrcli.redact import redact
from hlrcli.store import UNMATCHED, Job, NumberState, Store
from hlrcli.webhook import webhook_token
from hlrcli.webhook.server import WebhookServer, make_server
from tests.conftest import Cli, assert_no_secrets
from tests.emulator import HLR_KEY, HLR_OLD_SECRET, HLR_SECRET, Emulator, digest_signature, php_json
from tests.emulator import webhook_signature as sign

JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
LOG_LINE = re.compile(r"^webhook (\S+) (\d{3}) (\d+)/(\d+) from 127\.0\.0\.1(: .*)?$")

HLR_ITEM: dict[str, Any] = {
    "id": "3b4ac4b6ed1b",
    "msisdn": "+905536939460",
    "connectivity_status": "CONNECTED",
    "mccmnc": "28603",
    "mcc": "286",
    "mnc": "03 ",
    "original_network_name": "Turk Telekom (AVEA)",
    "is_ported": False,
    "is_roaming": False,
    "cost": "0.0100",
    "timestamp": "2020-08-13 00:04:38.261+0300",
    "storage": "ASYNC/API-2020-08",  # a slash: PHP sends it as "\/", and the signature covers those bytes
    "route": "IP1",
    "processing_status": "COMPLETED",
    "error_code": None,
    "data_source": "LIVE_HLR",
    "routing_instruction": "STATIC:IP1",
}
# The seed's NT webhook example, in the webhook's own spelling.
NT_ITEM: dict[str, Any] = {
    "id": "9f8a52cfa7d2",
    "number": "+905536939460",
    "numbertype": "MOBILE",
    "state": "COMPLETED",
    "isvalid": "Yes",
    "invalidreason": None,
    "ispossiblyported": "Yes",
    "isvanitynumber": "No",
    "qualifiesforhlrlookup": "Yes",
    "originalcarrier": "Turk Telekom (AVEA)",
    "mccmnc": "28603",
    "mcc": "286",
    "mnc": "03",
    "countrycode": "TR",
    "regions": ["Turkey"],
    "timezones": ["Europe/Istanbul"],
    "infotext": "This number qualifies for HLR lookups.",
    "usercharge": "0.0050",
    "inserttime": "2020-08-13 01:57:15.897+0300",
    "storage": "ASYNC-API-NT-2020-08",
    "route": "LC1",
    "interface": "Async API",
}
MNP_ITEM: dict[str, Any] = {
    "id": "e428acb1c0ae",
    "msisdn": "+14156226819",
    "query_status": "OK",
    "mccmnc": "310260",
    "mcc": "310",
    "mnc": "260",
    "is_ported": True,
    "original_network_name": "Verizon Wireless",
    "ported_network_name": "T-Mobile US",
    "extra": "LRN:4156226000",
    "cost": "0.0050",
}
SMSP_NOTE: dict[str, Any] = {
    "phone": "+33612345678",
    "messageId": "8c9e1b1e-2f44-4d5b-9c1e-4a3f6f0b2d11",
    "mccMnc": "20801",
    "ported": 1,
    "errorGrpId": 27,
    "errorName": "EC_ABSENT_SUBSCRIBER",
    "errorDesc": "Subscriber is offline.",
    "date": "2024-05-02T10:11:12",
}
AFF_FINAL: dict[str, Any] = {
    "id": "12124",
    "reference": "hlrcli-ref-1",
    "msisdn": "380505142320",
    "network": "25501",
    "status": "active",
    "details": {"ported": "1", "roaming": "0"},
    "createdDatetime": "2024-05-02 10:11:12",
    "statusDatetime": "2024-05-02 10:11:14",
}


# Fixtures --------------------------------------------------------------------------------------------------
@dataclass
class Running:
    """A receiver serving in a background thread, and helpers to post to it."""

    server: WebhookServer
    store: Store
    token: str
    logs: list[str]
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.trust_env = False  # never through a proxy from the environment

    def url(self, provider: str, token: str | None = "") -> str:
        address = self.server.endpoint(provider)
        if provider in ("smspartner", "affiliate") and token is not None:
            address += "?" + urlencode({"token": token or self.token})
        return address

    def post(
        self,
        provider: str,
        body: bytes,
        content_type: str | None = JSON_TYPE,
        headers: dict[str, str] | None = None,
        token: str | None = "",
    ) -> requests.Response:
        sent = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
        return self.http.post(self.url(provider, token), data=body, headers=sent, timeout=10)

    def hlr(self, payload: dict[str, Any], signatures: str | None = None) -> requests.Response:
        body = php_json(payload)
        return self.post("hlrlookups", body, headers={"X-Signatures": signatures or sign(HLR_KEY, HLR_SECRET, body)})

    def stored(self) -> int:
        return self.store.query("SELECT COUNT(*) AS n FROM deliveries")[0]["n"]

    def results(self, job: str | None = UNMATCHED) -> list[dict[str, Any]]:
        """Stored results of one job, or (job None) of every job."""
        if job:
            return [d.result for d in self.store.deliveries(job)]
        return [json.loads(r["result"]) for r in self.store.query("SELECT result FROM deliveries ORDER BY id")]


@pytest.fixture
def start(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Running]]:
    """Starts receivers (`start(max_body=…, hlr_credentials=False)`); all stopped at the end."""
    running: list[Running] = []

    def _start(max_body: int = 1 << 20, hlr_credentials: bool = True) -> Running:
        if hlr_credentials:
            monkeypatch.setenv("HLR_LOOKUPS_API_KEY", HLR_KEY)
            monkeypatch.setenv("HLR_LOOKUPS_API_SECRET", HLR_SECRET)
        else:
            monkeypatch.delenv("HLR_LOOKUPS_API_KEY", raising=False)
            monkeypatch.delenv("HLR_LOOKUPS_API_SECRET", raising=False)
        settings = Settings.load()
        store = Store.open(settings.home(), durable=True)
        logs: list[str] = []
        server = make_server(settings, store, "127.0.0.1", 0, "/hlrcli", max_body, logs.append)
        server.start()
        r = Running(server, store, webhook_token(settings), logs)
        running.append(r)
        return r

    yield _start
    for r in running:
        assert r.server.stop(grace=5)
        r.store.close()


@pytest.fixture
def rx(start: Callable[..., Running]) -> Running:
    return start()


def parsed_logs(r: Running) -> list[tuple[str, int, int, int]]:
    out = []
    for line in r.logs:
        m = LOG_LINE.match(line)
        assert m, line
        out.append((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))))
    return out


# hlrlookups: signatures ------------------------------------------------------------------------------------
def test_signed_delivery_is_stored_and_unknown_ids_land_in_unmatched(rx: Running) -> None:
    r = rx.hlr({"type": "HLR", "results": [HLR_ITEM]})
    assert (r.status_code, r.text) == (200, "ok\n")
    [row] = rx.store.deliveries(UNMATCHED)
    assert (row.provider, row.result_key, row.kind, row.number) == (
        "hlrlookups", "3b4ac4b6ed1b", "hlr", "+905536939460",
    )  # fmt: skip
    result = row.result
    assert result["mnc"] == "03"  # trimmed
    assert result["storage"] == "ASYNC/API-2020-08"
    assert result["connectivity_status"] == "CONNECTED" and result["is_ported"] is False
    assert result["provider"] == "hlrlookups" and result["id"] == "3b4ac4b6ed1b"
    assert parsed_logs(rx) == [("hlrlookups", 200, 1, 1)]


@pytest.mark.parametrize(
    "signatures",
    [
        None,  # no header at all
        "",
        sign(HLR_KEY, "not-the-secret", php_json({"type": "HLR", "results": [HLR_ITEM]})),
        # Signed over a re-serialised body ("/" instead of PHP's "\/"): not the bytes that were sent.
        sign(
            HLR_KEY,
            HLR_SECRET,
            json.dumps({"type": "HLR", "results": [HLR_ITEM]}, separators=(",", ":")).encode(),
        ),
        sign(HLR_KEY, HLR_SECRET, b"{}"),
        "é;\x7f;" + "0" * 64,
    ],
)
def test_forged_signature_is_refused_and_nothing_stored(rx: Running, signatures: str | None) -> None:
    body = php_json({"type": "HLR", "results": [HLR_ITEM]})
    headers = {} if signatures is None else {"X-Signatures": signatures.encode("utf-8").decode("latin-1")}
    r = rx.post("hlrlookups", body, headers=headers)
    assert r.status_code == 401
    assert rx.stored() == 0
    assert parsed_logs(rx) == [("hlrlookups", 401, 0, 0)]


def test_any_entry_of_x_signatures_authenticates(rx: Running) -> None:
    body = php_json({"type": "HLR", "results": [HLR_ITEM]})
    # As the emulator (and a key rotation) sends it: the old secret's signature first, then the current one.
    entries = f"{sign(HLR_KEY, HLR_OLD_SECRET, body)} ; {sign(HLR_KEY, HLR_SECRET, body).upper()}"
    r = rx.post("hlrlookups", body, headers={"X-Signatures": entries})
    assert r.status_code == 200
    assert rx.stored() == 1


def test_hlrlookups_refused_when_credentials_not_configured(start: Callable[..., Running]) -> None:
    rx = start(hlr_credentials=False)
    r = rx.hlr({"type": "HLR", "results": [HLR_ITEM]})
    assert r.status_code == 401 and "not configured" in r.text
    assert rx.stored() == 0


def test_repeated_delivery_stores_one_result(rx: Running) -> None:
    payload = {"type": "HLR", "results": [HLR_ITEM, {**HLR_ITEM, "id": "0123456789ab"}]}
    assert rx.hlr(payload).status_code == 200
    assert rx.hlr(payload).status_code == 200
    assert rx.stored() == 2
    assert parsed_logs(rx) == [("hlrlookups", 200, 2, 2), ("hlrlookups", 200, 0, 2)]


# hlrlookups: payload shapes --------------------------------------------------------------------------------
def test_nt_webhook_alternative_keys_are_normalised(rx: Running) -> None:
    assert rx.hlr({"type": "NT", "results": [NT_ITEM]}).status_code == 200
    [row] = rx.store.deliveries(UNMATCHED)
    assert (row.kind, row.number) == ("nt", "+905536939460")
    result = row.result
    assert {k: result[k] for k in (
        "msisdn", "number_type", "query_status", "is_valid", "is_possibly_ported", "is_vanity_number",
        "qualifies_for_hlr_lookup", "original_network_name", "original_country_code", "info_text", "cost",
        "timestamp", "timezones", "regions", "mnc",
    )} == {
        "msisdn": "+905536939460", "number_type": "MOBILE", "query_status": "OK", "is_valid": True,
        "is_possibly_ported": True, "is_vanity_number": False, "qualifies_for_hlr_lookup": True,
        "original_network_name": "Turk Telekom (AVEA)", "original_country_code": "TR",
        "info_text": "This number qualifies for HLR lookups.", "cost": "0.0050",
        "timestamp": "2020-08-13 01:57:15.897+0300", "timezones": ["Europe/Istanbul"], "regions": ["Turkey"],
        "mnc": "03",
    }  # fmt: skip
    assert "numbertype" not in result and "interface" not in result


def test_nt_webhook_in_the_synchronous_spelling_too(rx: Running) -> None:
    item = {"id": "aaaaaaaaaaaa", "number": "+4989702626", "number_type": "LANDLINE", "query_status": "OK",
            "is_valid": True, "is_possibly_ported": False, "original_country_code": "DE"}  # fmt: skip
    assert rx.hlr({"type": "NT", "results": [item]}).status_code == 200
    [result] = rx.results()
    assert (result["number_type"], result["is_valid"], result["is_possibly_ported"]) == (
        "LANDLINE",
        True,
        False,
    )


def test_mnp_webhook(rx: Running) -> None:
    assert rx.hlr({"type": "MNP", "results": [MNP_ITEM]}).status_code == 200
    [row] = rx.store.deliveries(UNMATCHED)
    assert (row.kind, row.number, row.result_key) == ("mnp", "+14156226819", "e428acb1c0ae")
    result = row.result
    expected = ("T-Mobile US", "LRN:4156226000", True)
    assert (result["ported_network_name"], result["extra"], result["is_ported"]) == expected


# smspartner ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["form", "json", "multipart"])
def test_smspartner_notification_form_json_and_multipart(rx: Running, encoding: str) -> None:
    if encoding == "form":
        r = rx.post("smspartner", urlencode(SMSP_NOTE).encode(), FORM_TYPE)
    elif encoding == "json":
        r = rx.post("smspartner", json.dumps(SMSP_NOTE).encode())
    else:  # what PHP's curl sends for an array of fields
        files = {k: (None, str(v)) for k, v in SMSP_NOTE.items()}
        prepared = requests.Request("POST", rx.url("smspartner"), files=files).prepare()
        r = rx.http.send(prepared, timeout=10)
    assert r.status_code == 200, r.text
    [row] = rx.store.deliveries(UNMATCHED)
    assert (row.provider, row.result_key, row.number) == ("smspartner", SMSP_NOTE["messageId"],
                                                                   "+33612345678")  # fmt: skip
    result = row.result
    assert {k: result[k] for k in ("msisdn", "id", "connectivity_status", "mccmnc", "mcc", "mnc", "is_ported",
                                   "error_code", "error_description", "raw_status", "timestamp")} == {
        "msisdn": "+33612345678", "id": SMSP_NOTE["messageId"], "connectivity_status": "ABSENT",
        "mccmnc": "20801", "mcc": "208", "mnc": "01", "is_ported": True, "error_code": 27,
        "error_description": "Subscriber is offline.", "raw_status": "EC_ABSENT_SUBSCRIBER",
        "timestamp": "2024-05-02T10:11:12",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("group", "status"),
    [(0, "CONNECTED"), ("1", "INVALID_MSISDN"), (6, "ABSENT"), ("27", "ABSENT"), (5, "UNDETERMINED"),
     (255, "UNDETERMINED"), (None, "UNDETERMINED")],
)  # fmt: skip
def test_smspartner_error_groups_map_onto_connectivity(group: Any, status: str) -> None:
    note = {**SMSP_NOTE, "errorGrpId": group}
    assert smspartner_result(note).result["connectivity_status"] == status


def test_smspartner_without_message_id_keys_on_number_and_date(rx: Running) -> None:
    note = {k: v for k, v in SMSP_NOTE.items() if k != "messageId"} | {"phone": "0033612345678"}
    for _ in range(2):
        assert rx.post("smspartner", urlencode(note).encode(), FORM_TYPE).status_code == 200
    [row] = rx.store.deliveries(UNMATCHED)
    assert row.result_key == "+33612345678|2024-05-02T10:11:12"


# affiliate -------------------------------------------------------------------------------------------------
def test_affiliate_interim_sent_then_final(rx: Running) -> None:
    interim = {**AFF_FINAL, "status": "sent", "network": "", "details": {"ported": "0", "roaming": "0"}}
    assert rx.post("affiliate", json.dumps(interim).encode()).status_code == 200
    assert rx.stored() == 0  # acknowledged, not stored: it must not block the final callback
    assert rx.post("affiliate", json.dumps(AFF_FINAL).encode()).status_code == 200
    assert rx.post("affiliate", json.dumps(AFF_FINAL).encode()).status_code == 200  # a retry
    [row] = rx.store.deliveries(UNMATCHED)
    assert (row.result_key, row.number) == ("12124:active", "+380505142320")
    result = row.result
    assert (result["connectivity_status"], result["raw_status"], result["mccmnc"], result["is_ported"]) == (
        "CONNECTED", "active", "25501", True,
    )  # fmt: skip
    assert result["raw"] == AFF_FINAL
    assert [entry[1:] for entry in parsed_logs(rx)] == [(200, 0, 1), (200, 1, 1), (200, 0, 1)]


def test_affiliate_form_callback_with_flattened_details(rx: Running) -> None:
    fields = {k: v for k, v in AFF_FINAL.items() if k != "details"} | {"status": "active", "ported": "0",
                                                                        "roaming": "1"}  # fmt: skip
    assert rx.post("affiliate", urlencode(fields).encode(), FORM_TYPE).status_code == 200
    [result] = rx.results()
    # Flags are read for an active number only (affiliate's docs: details are complete if the status is active).
    assert (result["connectivity_status"], result["is_ported"], result["is_roaming"]) == (
        "CONNECTED",
        False,
        True,
    )
    assert result["raw"]["roaming"] == "1"


# Tokens ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("provider", ["smspartner", "affiliate"])
@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789", "ünïcode", "TWICE"])
def test_unsigned_endpoints_require_the_token(rx: Running, provider: str, token: str | None) -> None:
    body = json.dumps(SMSP_NOTE if provider == "smspartner" else AFF_FINAL).encode()
    address = rx.server.endpoint(provider)
    if token == "TWICE":
        address += "?" + urlencode([("token", rx.token), ("token", "other")])
    elif token is not None:
        address += "?" + urlencode({"token": token})
    r = rx.http.post(address, data=body, headers={"Content-Type": JSON_TYPE}, timeout=10)
    assert r.status_code == 401
    assert rx.stored() == 0
    assert all(rx.token not in line for line in rx.logs)
    # And with the token, the same body goes in.
    assert rx.post(provider, body).status_code == 200
    assert rx.stored() == 1


def test_token_is_generated_once_private_and_redacted(isolated: Path) -> None:
    settings = Settings.load()
    token = webhook_token(settings)
    path = settings.home() / "webhook-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert webhook_token(Settings.load()) == token and len(token) >= 32
    assert redact(f"token is {token}") == "token is ***"


# HTTP hygiene ----------------------------------------------------------------------------------------------
def test_body_over_the_limit_is_refused_without_reading_it(start: Callable[..., Running]) -> None:
    rx = start(max_body=1024)
    note = json.dumps({**SMSP_NOTE, "errorDesc": "x" * 2000}).encode()
    assert rx.post("smspartner", note).status_code == 413
    # A gigabyte announced, nothing sent: the answer comes from the headers alone.
    conn = http.client.HTTPConnection("127.0.0.1", rx.server.port, timeout=5)
    target = urlsplit(rx.url("smspartner"))
    conn.putrequest("POST", f"{target.path}?{target.query}")
    conn.putheader("Content-Type", JSON_TYPE)
    conn.putheader("Content-Length", str(1 << 30))
    conn.endheaders()
    assert conn.getresponse().status == 413  # no byte of the body was sent: reading it would have hung
    conn.close()
    # Chunked: refused as soon as the running total passes the limit.
    chunks = (b"x" * 600 for _ in range(10))
    r = rx.http.post(rx.url("smspartner"), data=chunks, headers={"Content-Type": JSON_TYPE}, timeout=10)
    assert r.status_code == 413
    assert rx.stored() == 0
    # Just under the limit is fine.
    assert rx.post("smspartner", json.dumps(SMSP_NOTE).encode()).status_code == 200


def test_wrong_method_path_and_content_type(rx: Running) -> None:
    signed_garbage = b'{"type":"HLR","results":[{"id":'
    cases = [
        (rx.http.get(rx.url("hlrlookups"), timeout=5), 405, "POST"),
        (rx.http.put(rx.url("smspartner"), data=b"{}", timeout=5), 405, "POST"),
        (rx.http.post(rx.server.base_url + "/health", timeout=5), 405, "GET, HEAD"),
        (rx.http.post(rx.server.base_url + "/nope", data=b"{}", timeout=5), 404, None),
        (rx.http.get(f"http://127.0.0.1:{rx.server.port}/", timeout=5), 404, None),
        (rx.post("hlrlookups", b"type=HLR", FORM_TYPE), 401, None),  # unsigned: refused before parsing
        (
            rx.post("hlrlookups", b"type=HLR", FORM_TYPE, {"X-Signatures": sign(HLR_KEY, HLR_SECRET, b"type=HLR")}),
            400,
            None,
        ),  # signed, but not JSON
        (rx.post("smspartner", b"phone=1", "image/png"), 415, None),
        (
            rx.post(
                "hlrlookups",
                signed_garbage,
                headers={"X-Signatures": sign(HLR_KEY, HLR_SECRET, signed_garbage)},
            ),
            400,
            None,
        ),
        (rx.hlr({"type": "HLRX", "results": []}), 400, None),
        (rx.post("smspartner", b"\xff\xfe{", FORM_TYPE), 400, None),
        (rx.post("affiliate", b"[1, 2]"), 400, None),
        (rx.post("smspartner", b"{not json"), 400, None),
    ]
    for response, status, allow in cases:
        assert response.status_code == status, (response.request.method, response.request.url, response.text)
        assert response.headers.get("Allow") == allow
    assert rx.stored() == 0
    health = rx.http.get(rx.server.base_url + "/health", timeout=5)
    assert (health.status_code, health.text) == (200, "ok\n")
    assert len(rx.logs) == len(cases)  # one line per request; successful health checks are not logged


def test_50_concurrent_deliveries_none_lost(rx: Running) -> None:
    barrier = threading.Barrier(50)

    def one(i: int) -> int:
        barrier.wait(timeout=10)
        if i % 2:
            note = {**SMSP_NOTE, "messageId": f"msg-{i}", "phone": f"+3361234{i:04d}"}
            return rx.post("smspartner", urlencode(note).encode(), FORM_TYPE).status_code
        return rx.hlr({"type": "HLR", "results": [{**HLR_ITEM, "id": f"id{i:010d}"}]}).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(one, range(50)))
    assert statuses == [200] * 50
    assert rx.stored() == 50
    assert sorted(line.split()[1] for line in rx.logs) == ["hlrlookups"] * 25 + ["smspartner"] * 25


def test_results_join_the_job_that_submitted_them(rx: Running) -> None:
    """hlrlookups by result id, affiliate by id/reference, smspartner by number; the rest to `unmatched`."""
    cases = {"hlrlookups": "+905536939460", "affiliate": "+380505142320", "smspartner": "+33612345678"}
    for provider, number in cases.items():
        rx.store.create_job(Job(name=f"job-{provider}", provider=provider, kind="hlr", mode="async"))
        rx.store.add_rows(f"job-{provider}", [(0, [number], number, None, None)])
    submitted = NumberState.SUBMITTED
    rx.store.record("job-hlrlookups", [(cases["hlrlookups"], submitted, {"sub_id": HLR_ITEM["id"]})])
    rx.store.record("job-affiliate", [(cases["affiliate"], submitted, {"reference": AFF_FINAL["reference"]})])
    rx.store.record("job-smspartner", [(cases["smspartner"], submitted, {})])

    assert rx.hlr({"type": "HLR", "results": [HLR_ITEM, {**HLR_ITEM, "id": "ffffffffffff"}]}).status_code == 200
    assert rx.post("affiliate", json.dumps(AFF_FINAL).encode()).status_code == 200
    assert rx.post("smspartner", json.dumps(SMSP_NOTE).encode()).status_code == 200

    for provider, number in cases.items():
        [row] = rx.store.deliveries(f"job-{provider}")
        assert row.number == number
        [joined] = rx.store.joined(f"job-{provider}")
        assert joined.state is NumberState.DONE and joined.result and joined.result["provider"] == provider
    assert [r["id"] for r in rx.results(UNMATCHED)] == ["ffffffffffff"]


# Deliveries from the emulator ------------------------------------------------------------------------------
def _hlr_bulk(emu: Emulator, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": JSON_TYPE,
        "X-Digest-Key": HLR_KEY,
        "X-Digest-Timestamp": stamp,
        "X-Digest-Signature": digest_signature(HLR_SECRET, path, stamp, "POST", body),
    }
    session = requests.Session()
    session.trust_env = False
    r = session.post(emu.hlr_url + path, data=body, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_emulator_hlrlookups_webhooks_with_duplicates(rx: Running, emu: Emulator,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setitem(emu.webhook_urls, "hlrlookups", [rx.url("hlrlookups")])
    monkeypatch.setattr(emu, "duplicate_deliveries", True)
    monkeypatch.setattr(emu, "webhook_batch_size", 4)
    numbers = [f"+4917887350{i:02d}" for i in range(10)]
    hlr = _hlr_bulk(emu, "/hlr-lookups", {"msisdns": numbers})
    nt = _hlr_bulk(emu, "/nt-lookups", {"numbers": ["+4989702626", "+491788735001"]})
    assert emu.wait_deliveries(10)
    assert emu.deliveries and all(d.ok and d.status == 200 for d in emu.deliveries)
    assert len(emu.deliveries) == 2 * (3 + 1)  # 10 HLR in batches of 4, 2 NT in one; each sent twice
    results = {r["id"]: r for r in rx.results()}
    assert set(results) == {a["id"] for a in hlr["accepted"] + nt["accepted"]}
    for a in hlr["accepted"]:
        assert results[a["id"]]["connectivity_status"] == emu.expected_status(a["msisdn"])
    expected_nt = emu.stored_results()  # the emulator's NT results, in the synchronous spelling
    for a in nt["accepted"]:
        got, want = results[a["id"]], expected_nt[a["id"]]
        for key in (
            "number_type",
            "is_valid",
            "is_possibly_ported",
            "qualifies_for_hlr_lookup",
            "original_network_name",
            "original_country_code",
            "info_text",
            "cost",
            "timestamp",
        ):
            assert got[key] == want[key], key  # fmt: skip


@pytest.mark.parametrize("notify_format", ["form", "json"])
def test_emulator_smspartner_notifications_via_the_cli(
    rx: Running, live: Cli, emu: Emulator, monkeypatch: pytest.MonkeyPatch, notify_format: str
) -> None:
    monkeypatch.setattr(emu, "smspartner_notify_format", notify_format)
    numbers = ["+33612345670", "+33612345671", "+33612345676"]
    r = live("lookup", "-p", "smspartner", *numbers, "--notify-url", rx.url("smspartner"), "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert emu.wait_deliveries(10)
    assert len(emu.deliveries) == 3 and all(d.status == 200 for d in emu.deliveries)
    # `lookup` may record its submission as a job, which the results then join: look in every job.
    got = {res["msisdn"]: res["connectivity_status"] for res in rx.results(None)}
    assert got == {n: emu.expected_status(n) for n in numbers}


@pytest.mark.parametrize("callback_format", ["json", "form"])
def test_emulator_affiliate_callbacks_via_the_cli(
    rx: Running, live: Cli, emu: Emulator, monkeypatch: pytest.MonkeyPatch, callback_format: str
) -> None:
    monkeypatch.setattr(emu, "affiliate_callback_format", callback_format)
    numbers = ["+380505142320", "+380505142321"]
    r = live("lookup", "-p", "affiliate", *numbers, "--callback-url", rx.url("affiliate"), "-f", "json")
    assert r.exit_code == 0, r.stderr
    submitted = {row["msisdn"]: row for row in json.loads(r.stdout)}
    assert emu.wait_deliveries(10)
    assert len(emu.deliveries) == 2 and all(d.status == 200 for d in emu.deliveries)
    results = rx.results(None)  # whichever job `lookup` recorded them under, if any
    assert len(results) == 2
    for result in results:
        assert result["connectivity_status"] == emu.expected_status(result["msisdn"])
        assert result["reference"] == submitted[result["msisdn"]]["reference"]
        assert result["raw"]["id"] == submitted[result["msisdn"]]["id"]


# CLI -------------------------------------------------------------------------------------------------------
def test_webhook_url_rows_and_token(cli: Cli, isolated: Path) -> None:
    hidden = cli("webhook", "url", "--base", "https://hooks.example.com/", "-f", "json")
    assert hidden.exit_code == 0, hidden.stderr
    assert "token=***" in hidden.stdout and "--show-token" in hidden.stderr
    r = cli("webhook", "url", "--base", "https://hooks.example.com/", "-f", "json", "--show-token")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    token = (Path(os.environ["HLRCLI_HOME"]) / "webhook-token").read_text().strip()
    assert [(row["provider"], row["url"]) for row in rows] == [
        ("hlrlookups", "https://hooks.example.com/hlrcli/hlrlookups"),
        ("smspartner", f"https://hooks.example.com/hlrcli/smspartner?token={token}"),
        ("affiliate", f"https://hooks.example.com/hlrcli/affiliate?token={token}"),
    ]
    assert "SMSPARTNER_NOTIFY_URL" in rows[1]["configure"] and "--callback-url" in rows[2]["configure"]
    assert "API settings" in rows[0]["configure"]
    assert token not in r.stderr
    assert token not in hidden.stdout + hidden.stderr
    again = cli("webhook", "url", "--base", "https://hooks.example.com", "-f", "json", "--show-token")
    assert json.loads(again.stdout) == rows  # generated once

    local = cli("webhook", "url", "-f", "csv", "--path", "/", "--show-token")
    assert local.exit_code == 0
    assert "http://127.0.0.1:8080/smspartner?token=" in local.stdout
    assert "public HTTPS URL" in local.stderr and "reverse proxy" in local.stderr

    cli.env(HLRCLI_WEBHOOK_TOKEN="configured-token-0123456789")
    configured = cli("webhook", "url", "--base", "https://h.example", "-f", "json", "--show-token")
    assert (
        json.loads(configured.stdout)[2]["url"]
        == "https://h.example/hlrcli/affiliate?token=configured-token-0123456789"
    )
    cli.env(HLRCLI_WEBHOOK_TOKEN="xyz123")
    refused = cli("webhook", "url", "--base", "https://h.example")
    assert refused.exit_code == 3 and "at least 16" in refused.stderr
    assert cli("webhook", "url", "--base", "ftp://x").exit_code == 2


def test_serve_as_a_process_stops_cleanly_on_sigterm(isolated: Path) -> None:
    env = {**os.environ, "HLR_LOOKUPS_API_KEY": HLR_KEY, "HLR_LOOKUPS_API_SECRET": HLR_SECRET}
    proc = subprocess.Popen([sys.executable, "-m", "hlrcli", "webhook", "serve", "--port", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    err: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode()
            err.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        base = None
        deadline = time.monotonic() + 20
        while base is None and time.monotonic() < deadline:
            m = re.search(r"listening on (http://\S+)", lines.get(timeout=20))
            base = m.group(1) if m else None
        assert base and not base.endswith(":0/hlrcli"), err
        session = requests.Session()
        session.trust_env = False
        assert session.get(base + "/health", timeout=5).text == "ok\n"
        token = (Path(os.environ["HLRCLI_HOME"]) / "webhook-token").read_text().strip()
        r = session.post(f"{base}/smspartner?token={token}", data=urlencode(SMSP_NOTE), timeout=5,
                         headers={"Content-Type": FORM_TYPE})  # fmt: skip
        assert r.status_code == 200
        body = php_json({"type": "HLR", "results": [HLR_ITEM]})
        r = session.post(
            base + "/hlrlookups",
            data=body,
            timeout=5,
            headers={"Content-Type": JSON_TYPE, "X-Signatures": sign(HLR_KEY, HLR_SECRET, body)},
        )
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    time.sleep(0.1)  # the pump thread reads the last lines
    text = "".join(err)
    assert "hlrcli: webhook smspartner 200 1/1 from 127.0.0.1" in text
    assert "hlrcli: webhook hlrlookups 200 1/1 from 127.0.0.1" in text
    assert "stopped (2 result(s) stored)" in text
    assert token not in text
    assert_no_secrets(text)
    store = Store.open(Path(os.environ["HLRCLI_HOME"]))
    try:
        assert len(store.deliveries(UNMATCHED)) == 2
    finally:
        store.close()
