"""SMS Partner, affiliate-sms and offline providers, the capability matrix and the default provider."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import phonenumbers
import pytest
import requests
from phonenumbers import PhoneNumberFormat, PhoneNumberType, carrier, geocoder, timezone

from hlrcli.providers.base import COMMANDS
from tests.conftest import assert_no_secrets, rows_of
from tests.emulator import SMSP_KEY
from tests.emulator.affiliate import parse_multipart
from tests.emulator.smspartner import HLR_PRICE, RENTAL_STATUS_TEXT

FR = [f"+3361234567{i}" for i in range(10)]


def multipart(record: Any) -> dict[str, str]:
    fields = parse_multipart(record.headers["Content-Type"], record.body)
    assert fields is not None, "not multipart/form-data"
    return fields


# smspartner ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_smspartner_lookup_prints_a_receipt(live, emu, fmt):
    numbers = FR[:3]
    r = live("lookup", "-p", "smspartner", *numbers, "-f", fmt)
    assert r.exit_code == 0, r.stderr
    [row] = rows_of(r.stdout) if fmt == "csv" else json.loads(r.stdout)
    [request] = emu.requests_to("/hlr/notify", "smspartner")
    body = request.json()
    assert body["phoneNumbers"] == ",".join(numbers)
    assert "notifyUrl" not in body and "tag" not in body
    assert row["campaign_id"] and row["campaign_id"].startswith("HLR")
    # CSV defuses the list cell ("+336…;+336…" would be read as a formula): its leading ' goes.
    numbers_cell = row["numbers"] if fmt == "json" else row["numbers"].removeprefix("'").split(";")
    assert list(numbers_cell) == numbers
    assert Decimal(str(row["cost"])) == HLR_PRICE * len(numbers)
    assert row["currency"] == "EUR"
    assert emu.charge_count("smspartner") == len(numbers)
    # Results come later: stderr says where.
    assert "notifyUrl" in r.stderr or "notify" in r.stderr.lower()
    assert r.stdout.count("HLR") == 1


def test_smspartner_lookup_sends_notify_url_and_tag(live, emu):
    url = "https://hooks.example.com/smsp"
    r = live("lookup", "-p", "smspartner", FR[0], "--notify-url", url, "--tag", "t" * 20, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    body = emu.requests_to("/hlr/notify")[0].json()
    assert body["notifyUrl"] == url
    assert body["tag"] == "t" * 20
    assert url in r.stderr
    assert rows_of(r.stdout)[0]["notify_url"] == url


def test_smspartner_notify_url_from_settings(live, emu):
    live.env(SMSPARTNER_NOTIFY_URL="https://hooks.example.com/env")
    r = live("lookup", "-p", "smspartner", FR[0], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert emu.requests_to("/hlr/notify")[0].json()["notifyUrl"] == "https://hooks.example.com/env"


def test_smspartner_tag_over_20_characters_is_refused_before_sending(live, emu):
    r = live("lookup", "-p", "smspartner", FR[0], "--tag", "t" * 21)
    assert r.exit_code == 2
    assert "20" in r.stderr
    assert emu.requests == []


def test_smspartner_lookup_skips_garbage_and_duplicates(live, emu):
    r = live("lookup", "-p", "smspartner", FR[0], "nonsense", FR[1], FR[0], "-f", "csv")
    assert r.exit_code == 2
    assert "'nonsense'" in r.stderr
    body = emu.requests_to("/hlr/notify")[0].json()
    assert body["phoneNumbers"] == f"{FR[0]},{FR[1]}"
    assert emu.charge_count() == 2


@pytest.mark.parametrize("error_status", [None, 200])
def test_smspartner_invalid_key_is_exit_3(live, emu, error_status):
    emu.smspartner_error_http_status = error_status
    try:
        live.env(SMSPARTNER_API_KEY="wrong-key-0123456789")
        r = live("lookup", "-p", "smspartner", FR[0])
    finally:
        emu.smspartner_error_http_status = None
    assert r.exit_code == 3
    assert "code 10" in r.stderr
    assert "SMSPARTNER_API_KEY" in r.stderr
    assert "wrong-key-0123456789" not in r.all
    assert emu.charge_count() == 0


def smsp_refuses(emu: Any) -> None:
    body = {"success": False, "code": 3, "message": "Numbers must be separated by commas"}
    emu.inject(400, body, path="/hlr/notify")


def test_smspartner_provider_error_keeps_code_and_message(live, emu):
    smsp_refuses(emu)
    r = live("lookup", "-p", "smspartner", FR[0], "-f", "json")
    assert r.exit_code == 1
    [row] = json.loads(r.stdout)
    assert "Numbers must be separated by commas" in row["error"]
    assert "code 3" in row["error"]
    assert emu.charge_count() == 0


def test_smspartner_provider_error_is_said_on_stderr(live, emu):
    smsp_refuses(emu)
    r = live("lookup", "-p", "smspartner", FR[0], "-f", "json")
    assert r.exit_code == 1
    assert "Numbers must be separated by commas (code 3)" in r.stderr
    assert "accepted" not in r.stderr


def test_smspartner_429_is_retried(live, emu):
    emu.inject(429, {"success": False, "code": 429, "message": "Too many requests"}, path="/hlr/notify")
    r = live("lookup", "-p", "smspartner", FR[0], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    first, _ = emu.requests_to("/hlr/notify")
    assert first.status == 429
    assert emu.charge_count() == 1


def test_smspartner_paces_itself_under_the_rate_limit(live, emu):
    # 1001 numbers: three /lookup requests; the emulator allows 1 per 0.15 s, the client paces at 359/min
    # (1 per 0.167 s, and no catch-up burst: its margin under the 360/min limit is 1).
    emu.rate_limits["smspartner"] = 1
    emu.rate_window = 0.15
    try:
        live.env(SMSPARTNER_MAX_RPM="359")
        numbers = [f"+336{i:08d}" for i in range(1001)]
        r = live("validate", "-p", "smspartner", *numbers, "-f", "csv")
    finally:
        emu.rate_limits["smspartner"] = 360
        emu.rate_window = 60.0
    assert r.exit_code == 0, r.stderr
    sent = emu.requests_to("/lookup", "smspartner")
    # The emulator enforces 1 request per 0.15 s: a client that did not pace itself would have met a 429.
    assert len(sent) == 3 and 429 not in [q.status for q in sent] and emu.throttled_count("smspartner") == 0
    assert len(rows_of(r.stdout)) == 1001


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_smspartner_validate(live, emu, fmt):
    r = live("validate", "-p", "smspartner", FR[0], "0612345671", "abc", "-f", fmt)
    assert r.exit_code == 0, r.stderr
    rows = rows_of(r.stdout) if fmt == "csv" else json.loads(r.stdout)
    [request] = emu.requests_to("/lookup", "smspartner")
    answer = requests.post(emu.smspartner_url + "/lookup", json={"apiKey": SMSP_KEY, **request.json()}).json()
    assert [row["msisdn"] for row in rows] == [FR[0], "0612345671", "abc"]
    for row, item in zip(rows, answer["lookup"], strict=True):
        valid = row["valid"] in (True, "true")
        assert valid is item["success"]
        if valid:
            assert row["e164"] == item["format"]["e164"]
            # CSV defuses a cell a spreadsheet would run as a formula ("+33 6 …"): JSON has the text as sent.
            assert row["international"] == ("'" if fmt == "csv" else "") + item["format"]["international"]
            assert row["national"] == item["format"]["national"]
            # The same vocabulary as `validate -p offline`: a type constant and an ISO country code.
            assert (item["type"], row["type"]) == ("Mobile", "MOBILE")
            assert (item["countryCode"], row["country"]) == ("France", "FR")
        else:
            assert row["reason"]
    assert emu.charge_count() == 0


def test_smspartner_balance_reports_credits(live, emu):
    live("lookup", "-p", "smspartner", FR[0], FR[1])  # spend something first
    r = live("balance", "-p", "smspartner", "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    me = requests.get(emu.smspartner_url + "/me", params={"apiKey": SMSP_KEY}).json()["credits"]
    assert row["balance"] == float(me["balance"])  # money is a number in JSON
    assert row["currency"] == me["currency"]
    assert row["credit_hlr"] == str(me["creditHlr"])
    assert row["credit_sms"] == str(me["creditSms"])
    assert row["provider"] == "smspartner"
    # The key travels in the query string of GET /me.
    assert emu.requests_to("/me")[0].query["apiKey"] == SMSP_KEY


def test_smspartner_balance_tolerates_other_field_names(live, emu):
    emu.inject(200, {"success": True, "code": 200, "credits": {"solde": "12.5", "creditHLR": 2500, "devise": "EUR"}})
    r = live("balance", "-p", "smspartner", "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert (row["balance"], row["credit_hlr"], row["currency"]) == (12.5, "2500", "EUR")  # money: a number


@pytest.mark.parametrize("token", ["tok-pending", "tok-generating", "tok-ready", "tok-downloaded"])
def test_rental_status_in_progress_or_ready(live, emu, token):
    r = live("rental-status", "-p", "smspartner", token, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    code = emu.rental_tokens[token]
    assert row["token"] == token
    assert row["status"] == RENTAL_STATUS_TEXT[code]
    assert row["status_code"] == code
    assert row["meaning"]
    assert row["locations"] == ["cp:60200"]
    assert row["volume"] == 266
    assert emu.requests_to("/location/status")[0].query["token"] == token


def test_rental_status_codes_differ_per_state(live, emu):
    codes = {}
    for token in ("tok-pending", "tok-generating", "tok-ready", "tok-downloaded"):
        r = live("rental-status", "-p", "smspartner", token, "-f", "json")
        codes[token] = json.loads(r.stdout)[0]["status_code"]
    assert codes == {t: emu.rental_tokens[t] for t in codes}


def test_rental_failed_is_exit_1(live, emu):
    r = live("rental-status", "-p", "smspartner", "tok-failed", "-f", "json")
    assert r.exit_code == 1
    [row] = json.loads(r.stdout)
    assert row["status_code"] == emu.rental_tokens["tok-failed"]
    assert "failed" in r.stderr


@pytest.mark.parametrize("error_status", [None, 200])
@pytest.mark.parametrize(("token", "code", "meaning"), [("nope", 32, "not found"), ("", 31, "token")])
def test_rental_errors_are_exit_1_with_the_meaning(live, emu, token, code, meaning, error_status):
    emu.smspartner_error_http_status = error_status
    try:
        r = live("rental-status", "-p", "smspartner", token)
    finally:
        emu.smspartner_error_http_status = None
    assert r.exit_code == 1
    assert f"code {code}" in r.stderr
    assert meaning in r.stderr.lower()
    assert len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_smspartner_key_never_shown_verbose(live, emu):
    for args in (["balance"], ["lookup", FR[0]], ["validate", FR[1]], ["rental-status", "tok-ready"]):
        r = live(*args, "-p", "smspartner", "-v")
        assert r.exit_code == 0, r.stderr
        assert "[trace]" in r.stderr
        assert_no_secrets(r.all)


# affiliate -------------------------------------------------------------------------------------------------
def test_affiliate_single_lookup_is_one_multipart_request(live, emu):
    r = live(
        "lookup",
        "-p",
        "affiliate",
        FR[0],
        "--tariff",
        "3",
        "--callback-url",
        "https://cb.example/a",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    [request] = emu.requests_to("/hlr/create", "affiliate")
    assert request.method == "PUT"
    fields = multipart(request)
    assert fields["msisdn"] == FR[0].lstrip("+")
    assert fields["tariff"] == "3"
    assert fields["callback_url"] == "https://cb.example/a"
    assert row["state"] == "SUBMITTED"
    assert row["reference"] == fields["reference"]
    assert row["id"]
    assert row["msisdn"] == FR[0]
    assert "status" in r.stderr  # how to get the result


def test_affiliate_several_numbers_use_the_payload_array(live, emu):
    r = live("lookup", "-p", "affiliate", *FR[:3], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    [request] = emu.requests_to("/hlr/create")
    payload = json.loads(multipart(request)["payload"])
    assert [p["msisdn"] for p in payload] == [n.lstrip("+") for n in FR[:3]]
    rows = rows_of(r.stdout)
    assert [row["reference"] for row in rows] == [p["reference"] for p in payload]
    assert len({row["reference"] for row in rows}) == 3
    assert {row["state"] for row in rows} == {"SUBMITTED"}
    assert emu.charge_count("affiliate") == 3


def test_affiliate_repeat_is_already_submitted_and_not_charged(live, emu):
    first = live("lookup", "-p", "affiliate", *FR[:2], "-f", "json")
    again = live("lookup", "-p", "affiliate", *FR[:2], "-f", "json")
    single = live("lookup", "-p", "affiliate", FR[0], "-f", "json")
    assert first.exit_code == again.exit_code == single.exit_code == 0, again.stderr
    a, b, c = json.loads(first.stdout), json.loads(again.stdout), json.loads(single.stdout)
    assert [row["reference"] for row in a] == [row["reference"] for row in b]
    assert c[0]["reference"] == a[0]["reference"]
    assert [row["state"] for row in b + c] == ["ALREADY_SUBMITTED"] * 3
    assert [row["id"] for row in b] == [row["id"] for row in a]
    assert emu.charge_count("affiliate") == 2


def test_affiliate_lost_answer_is_resent_and_answered_already_submitted(live, emu):
    emu.inject_drop(path="/hlr/create")  # processed and charged, then the connection dropped
    r = live("lookup", "-p", "affiliate", FR[0], "--retries", "2", "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    first, second = emu.requests_to("/hlr/create")
    assert multipart(first)["reference"] == multipart(second)["reference"] == row["reference"]
    assert row["state"] == "ALREADY_SUBMITTED" and row["id"]
    assert emu.charge_count() == 1  # the reference made the resend free


def test_smspartner_lost_answer_is_not_resent(live, emu):
    emu.inject_drop(path="/hlr/notify")
    r = live("lookup", "-p", "smspartner", FR[0], "--retries", "3", "-f", "json")
    assert r.exit_code == 1
    assert len(emu.requests_to("/hlr/notify")) == 1
    assert emu.charge_count() == 1
    assert "may have been processed" in json.loads(r.stdout)[0]["error"]


def test_affiliate_explicit_reference(live, emu):
    r = live("lookup", "-p", "affiliate", FR[0], "--reference", "order17", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)[0]["reference"] == "order17"
    assert multipart(emu.requests_to("/hlr/create")[0])["reference"] == "order17"
    # The provider's rule: at most 32 letters and digits. Anything else is refused before sending.
    for bad in ("order-17", "x" * 33, "ref 1"):
        r = live("lookup", "-p", "affiliate", FR[1], "--reference", bad)
        assert r.exit_code == 2 and "32 letters or digits" in r.stderr
    r = live("lookup", "-p", "affiliate", FR[1], FR[2], "--reference", "order18")
    assert r.exit_code == 2 and "one number" in r.stderr
    assert len(emu.requests_to("/hlr/create")) == 1


def test_affiliate_error_11_is_a_rejected_row(live, emu):
    emu.inject(400, {"error": "11", "errorDescription": "Incorrect msisdn"}, path="/hlr/create")
    r = live("lookup", "-p", "affiliate", FR[0], "-f", "json")
    assert r.exit_code == 1
    [row] = json.loads(r.stdout)
    assert row["state"] == "REJECTED"
    assert "Incorrect msisdn" in row["error"]


def test_affiliate_error_14_is_exit_1_nothing_created(live, emu):
    emu.inject(400, {"error": "14", "errorDescription": "Incorrect payload"}, path="/hlr/create")
    r = live("lookup", "-p", "affiliate", *FR[:2], "-f", "json")
    assert r.exit_code == 1
    rows = json.loads(r.stdout)
    assert [row["msisdn"] for row in rows] == FR[:2]
    assert all("nothing was created" in row["error"] for row in rows)
    assert emu.charge_count() == 0


def test_affiliate_error_14_is_said_on_stderr(live, emu):
    emu.inject(400, {"error": "14", "errorDescription": "Incorrect payload"}, path="/hlr/create")
    r = live("lookup", "-p", "affiliate", *FR[:2], "-f", "json")
    assert r.exit_code == 1
    assert "nothing was created" in r.stderr
    assert "accepted" not in r.stderr


def test_affiliate_bad_key_is_exit_3(live, emu):
    live.env(AFFILIATE_SMS_API_KEY="live_wrong-0123456789")
    r = live("lookup", "-p", "affiliate", FR[0])
    assert r.exit_code == 3
    assert "AFFILIATE_SMS_API_KEY" in r.stderr
    assert "live_wrong-0123456789" not in r.all


def test_affiliate_status_by_id_pending_then_final(live, emu):
    number = FR[6]
    sub = json.loads(live("lookup", "-p", "affiliate", number, "-f", "json").stdout)[0]
    first = live("status", "-p", "affiliate", sub["id"], "-f", "json")
    second = live("status", "-p", "affiliate", sub["id"], "-f", "json")
    assert first.exit_code == second.exit_code == 0, second.stderr
    [pending], [final] = json.loads(first.stdout), json.loads(second.stdout)
    assert (pending["connectivity_status"], pending["raw_status"]) == ("PENDING", "sent")
    raw = emu.expected(number)["affiliate_status"]
    mapping = {"active": "CONNECTED", "absent": "ABSENT", "failed": "UNDETERMINED", "unknown": "UNDETERMINED"}
    assert final["raw_status"] == raw
    assert final["connectivity_status"] == mapping[raw]
    assert final["id"] == sub["id"]
    assert final["reference"] == sub["reference"]
    assert final["msisdn"] == number
    # The docs: details are complete only for an active number; any other status's flags say nothing.
    assert final["is_ported"] is (emu.expected(number)["is_ported"] if raw == "active" else None)
    assert [q.path for q in emu.requests_to("/hlr/" + sub["id"])] == ["/hlr/" + sub["id"]] * 2


def test_affiliate_status_by_reference_for_each_outcome(live, emu):
    emu.affiliate_pending_polls = 0
    try:
        numbers = [FR[0], FR[6], FR[8], FR[9]]
        subs = json.loads(live("lookup", "-p", "affiliate", *numbers, "-f", "json").stdout)
        args = [a for s in subs for a in ("--reference", s["reference"])]
        r = live("status", "-p", "affiliate", *args, "-f", "csv")
    finally:
        emu.affiliate_pending_polls = 1
    assert r.exit_code == 0, r.stderr
    rows = rows_of(r.stdout)
    assert [row["reference"] for row in rows] == [s["reference"] for s in subs]
    assert [row["raw_status"] for row in rows] == [emu.expected(n)["affiliate_status"] for n in numbers]
    assert len(emu.requests_to("/hlr/reference/" + subs[0]["reference"])) == 1


def test_affiliate_status_not_found_is_exit_1(live, emu):
    r = live("status", "-p", "affiliate", "999999", "-f", "csv")
    assert r.exit_code == 1
    [row] = rows_of(r.stdout)
    assert row["id"] == "999999"
    assert "not found" in row["error"]
    assert "999999" in r.stderr and "not found" in r.stderr


def test_status_needs_an_id_or_reference(live, emu):
    r = live("status", "-p", "affiliate")
    assert r.exit_code == 2
    assert emu.requests == []


@pytest.mark.parametrize("tariff", [None, "0", "7"])
def test_affiliate_price_table(live, emu, tariff):
    args = ["--tariff", tariff] if tariff else []
    r = live("price", "-p", "affiliate", *args, "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    [request] = [q for q in emu.requests if q.path.startswith("/hlr/prices")]
    # Without --tariff: the tariff lookups use (0), not the API's own default (9); stderr says which.
    shown = tariff or "0"
    assert request.path == f"/hlr/prices/{shown}"
    assert f"tariff {shown}" in r.stderr and {row["route"] for row in rows} == {f"tariff {shown}"}
    answer = requests.get(emu.affiliate_url + request.path, headers={"X-API-KEY": live_key(emu)}).json()
    assert [(row["countrycode"], row["price"], row["currency"]) for row in rows] == [
        (p["country"], float(p["price"]), p["currency"]) for p in answer["prices"]
    ]


def live_key(emu: Any) -> str:
    return emu.env("affiliate")["AFFILIATE_SMS_API_KEY"]


def test_affiliate_price_refuses_a_number_and_bad_tariffs(live, emu):
    assert live("price", "-p", "affiliate", FR[0]).exit_code == 2
    assert live("price", "-p", "affiliate", "--tariff", "10").exit_code == 2
    assert live("price", "-p", "affiliate", "--tariff", "-1").exit_code == 2
    assert emu.requests == []


def test_affiliate_invalid_tariff_answer_is_reported(live, emu):
    emu.inject(400, {"error": "6", "errorDescription": "Invalid tariff code"}, path="/hlr/prices/4")
    r = live("price", "-p", "affiliate", "--tariff", "4")
    assert r.exit_code == 1
    assert "Invalid tariff code" in r.stderr


def test_affiliate_key_never_shown_verbose(live, emu):
    r = live("lookup", "-p", "affiliate", FR[0], "-v")
    r2 = live("status", "-p", "affiliate", "12345", "-v")
    assert r.exit_code == 0
    assert "[trace]" in r.stderr
    assert emu.requests_to("/hlr/create")[0].headers["X-API-KEY"] == live_key(emu)
    assert_no_secrets(r.all + r2.all)


# offline ---------------------------------------------------------------------------------------------------
TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "LANDLINE",
    PhoneNumberType.MOBILE: "MOBILE",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "MOBILE_OR_LANDLINE",
    PhoneNumberType.TOLL_FREE: "TOLL_FREE",
    PhoneNumberType.PREMIUM_RATE: "PREMIUM_RATE",
    PhoneNumberType.SHARED_COST: "SHARED_COST",
    PhoneNumberType.VOIP: "VOIP",
    PhoneNumberType.PAGER: "PAGER",
    PhoneNumberType.UAN: "UAN",
    PhoneNumberType.VOICEMAIL: "VOICEMAIL",
}
EXAMPLE_REGION = {PhoneNumberType.FIXED_LINE_OR_MOBILE: "US", PhoneNumberType.PAGER: "GB"}


def example(kind: int) -> str:
    region = EXAMPLE_REGION.get(kind, "GB" if kind in (PhoneNumberType.VOIP, PhoneNumberType.UAN) else "DE")
    pn = phonenumbers.example_number_for_type(region, kind)
    assert pn is not None and phonenumbers.number_type(pn) == kind
    return phonenumbers.format_number(pn, PhoneNumberFormat.E164)


@pytest.mark.parametrize("kind", list(TYPE_NAMES), ids=list(TYPE_NAMES.values()))
def test_offline_nt_number_types(cli, kind):
    number = example(kind)
    r = cli("nt", "-p", "offline", number, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    pn = phonenumbers.parse(number)
    assert row["msisdn"] == number
    assert row["number_type"] == TYPE_NAMES[kind]
    assert row["is_valid"] is True
    assert row["invalid_reason"] is None
    assert row["qualifies_for_hlr_lookup"] is (TYPE_NAMES[kind] in ("MOBILE", "MOBILE_OR_LANDLINE"))
    assert row["original_country_code"] == phonenumbers.region_code_for_number(pn)
    assert row["original_country_name"] == (geocoder.country_name_for_number(pn, "en") or None)
    assert row["original_network_name"] == (carrier.name_for_number(pn, "en") or None)
    described = geocoder.description_for_number(pn, "en")
    assert row["regions"] == ([described] if described else [])
    assert row["timezones"] == [z for z in timezone.time_zones_for_number(pn) if z != "Etc/Unknown"]
    assert row["cost"] == 0  # money is a number in JSON
    assert row["provider"] == "offline"


def test_offline_nt_carrier_and_region(cli):
    mobile, landline = example(PhoneNumberType.MOBILE), example(PhoneNumberType.FIXED_LINE)
    r = cli("nt", "-p", "offline", mobile, landline, "-f", "csv")
    rows = rows_of(r.stdout)
    assert rows[0]["original_network_name"] == carrier.name_for_number(phonenumbers.parse(mobile), "en")
    assert rows[0]["original_network_name"]
    assert rows[1]["regions"] == geocoder.description_for_number(phonenumbers.parse(landline), "en")
    assert rows[1]["regions"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("+4912", "too short"),
        ("+33612345678901", "too long"),
        ("+999123456789", "invalid country code"),
        ("hello", "not a number"),
        ("030123456", "no country code"),
    ],
)
def test_offline_nt_invalid_numbers(cli, raw, reason):
    r = cli("nt", "-p", "offline", raw, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert row["is_valid"] is False
    assert row["invalid_reason"].startswith(reason)
    assert row["qualifies_for_hlr_lookup"] is False
    assert row["number_type"] == "UNKNOWN"


def test_offline_nt_national_with_country(cli):
    landline = example(PhoneNumberType.FIXED_LINE)
    national = phonenumbers.format_number(phonenumbers.parse(landline), PhoneNumberFormat.NATIONAL)
    r = cli("nt", "-p", "offline", national, "--country", "DE", "-f", "json")
    [row] = json.loads(r.stdout)
    assert row["msisdn"] == landline
    assert row["is_valid"] is True


def test_offline_validate(cli):
    mobile = example(PhoneNumberType.MOBILE)
    r = cli("validate", "-p", "offline", mobile, "+4912", "-f", "json")
    assert r.exit_code == 0, r.stderr
    good, bad = json.loads(r.stdout)
    pn = phonenumbers.parse(mobile)
    assert good["valid"] is True and good["reason"] is None
    assert good["e164"] == mobile
    assert good["international"] == phonenumbers.format_number(pn, PhoneNumberFormat.INTERNATIONAL)
    assert good["national"] == phonenumbers.format_number(pn, PhoneNumberFormat.NATIONAL)
    assert good["country"] == "DE"
    assert good["type"] == "MOBILE"
    assert bad["valid"] is False and bad["reason"] == "too short"


def test_offline_duplicates_printed_each_time(cli):
    mobile = example(PhoneNumberType.MOBILE)
    r = cli("nt", "-p", "offline", mobile, mobile, "-f", "csv")
    assert [row["msisdn"] for row in rows_of(r.stdout)] == [mobile, mobile]


# capabilities and the default provider ---------------------------------------------------------------------
ARGS = {
    "lookup": [FR[0]],
    "mnp": [FR[0]],
    "nt": [FR[0]],
    "validate": [FR[0]],
    "status": ["12345"],
    "balance": [],
    "routes": [],
    "price": [],
    "coverage": ["DE"],
    "networks": [],
    "rental-status": ["tok-ready"],
}


def test_providers_matrix_matches_what_commands_do(live, emu):
    r = live("providers", "-f", "json")
    assert r.exit_code == 0, r.stderr
    matrix = {row["command"]: row for row in json.loads(r.stdout)}
    assert list(matrix) == [*COMMANDS, "configured"]
    assert matrix["configured"] == {
        "command": "configured",
        "hlrlookups": "yes",
        "smspartner": "yes",
        "affiliate": "yes",
        "offline": "yes",
    }
    providers = ["hlrlookups", "smspartner", "affiliate", "offline"]
    for command, args in ARGS.items():
        able = [p for p in providers if matrix[command][p] != "—"]
        assert able, command
        for provider in providers:
            emu.reset()
            res = live(command, *args, "-p", provider, "-f", "csv")
            if provider in able:
                assert "not available" not in res.stderr, (command, provider, res.stderr)
                expected = 1 if command == "status" else 0  # id 12345 was never submitted: "HLR not found"
                assert res.exit_code == expected, (command, provider, res.stderr)
            else:
                assert res.exit_code == 2, (command, provider)
                assert res.stderr.strip() == (
                    f"hlrcli: error: {command} is not available on {provider}; use -p " + " or -p ".join(able)
                )
                assert emu.requests == []


def test_providers_configured_row(cli, emu):
    cli.env(**emu.env("affiliate"))
    r = cli("providers", "-f", "csv")
    configured = next(row for row in rows_of(r.stdout) if row["command"] == "configured")
    assert configured == {
        "command": "configured",
        "hlrlookups": "no",
        "smspartner": "no",
        "affiliate": "yes",
        "offline": "yes",
    }


def test_no_provider_configured_falls_back_to_offline_with_a_notice(cli):
    number = example(PhoneNumberType.MOBILE)
    r = cli("nt", number, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert rows_of(r.stdout)[0]["provider"] == "offline"
    notice = r.stderr.splitlines()
    assert len(notice) == 1 and "offline" in notice[0] and "HLR_LOOKUPS_API_KEY" in notice[0]
    quiet = cli("nt", number, "-f", "csv", "-q")
    assert quiet.stderr == ""


def test_no_provider_and_a_live_only_command(cli):
    r = cli("lookup", FR[0])
    assert r.exit_code == 2
    [line] = r.stderr.splitlines()
    assert "lookup is not available on offline; configure hlrlookups or smspartner or affiliate" in line


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (["hlrlookups", "smspartner", "affiliate"], "hlrlookups"),
        (["smspartner", "affiliate"], "smspartner"),
        (["affiliate"], "affiliate"),
    ],
)
def test_default_provider_is_the_first_configured(cli, emu, configured, expected):
    for name in configured:
        cli.env(**emu.env(name))
    r = cli("lookup", FR[1], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert "offline" not in r.stderr
    assert rows_of(r.stdout)[0]["provider"] == expected
    assert {q.provider for q in emu.requests} == {expected}


def test_hlrcli_provider_setting_wins_over_first_configured(live, emu):
    live.env(HLRCLI_PROVIDER="affiliate")
    r = live("lookup", FR[1], "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert rows_of(r.stdout)[0]["provider"] == "affiliate"
    r = live("lookup", FR[2], "-f", "csv", "-p", "smspartner")
    assert rows_of(r.stdout)[0]["provider"] == "smspartner"


def test_unknown_provider_is_a_usage_error(live, emu):
    r = live("balance", "-p", "nosuch")
    assert r.exit_code == 2
    assert "nosuch" in r.stderr
    live.env(HLRCLI_PROVIDER="bogus")
    r = live("balance")
    assert r.exit_code == 3 and "HLRCLI_PROVIDER (from environment) must be" in r.stderr  # a bad setting


@pytest.mark.parametrize(
    "args",
    [("--reference", "../prices/0"), ("--reference", "a" * 33), ("../prices/0",), ("12001?x=1",), ("12001", "1 2")],
)
def test_status_refuses_a_key_that_is_not_one_before_any_request(live, emu, args):
    """Ids and references go into the URL path: `../prices/0` must not become GET /hlr/prices/0."""
    r = live("status", "-p", "affiliate", *args)
    assert r.exit_code == 2, r.stderr
    assert "digits" in r.stderr or "letters or digits" in r.stderr
    assert emu.requests == []


def test_status_reads_ids_from_stdin(live, emu):
    sub = json.loads(live("lookup", "-p", "affiliate", FR[6], "-f", "json").stdout)[0]
    r = live("status", "-p", "affiliate", "-", "-f", "json", input=f"{sub['id']}\n\n")
    assert r.exit_code == 0, r.stderr
    assert [row["id"] for row in json.loads(r.stdout)] == [sub["id"]]
