"""Account and catalogue commands: balance, routes, price, coverage, networks, doctor."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from hlrcli.output import Format
from tests.conftest import assert_no_secrets, closed_port, rows_of
from tests.emulator import data

NUMBER = "+491788735000"


# balance ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", [f.value for f in Format if f is not Format.xlsx])  # xlsx: test_output
def test_balance_in_every_format(live, emu, fmt):
    live("lookup", NUMBER)  # spend: the balance must be read, not remembered
    r = live("balance", "-f", fmt)
    assert r.exit_code == 0, r.stderr
    if fmt == "table":
        assert data.trim_balance(emu.hlr_balance) in r.stdout
        return
    if fmt == "csv":
        [row] = rows_of(r.stdout)
    elif fmt == "json":
        [row] = json.loads(r.stdout)
    else:
        [row] = [json.loads(line) for line in r.stdout.splitlines()]
    assert Decimal(str(row["balance"])) == emu.hlr_balance
    assert row["currency"] == "EUR"
    assert row["provider"] == "hlrlookups"
    assert emu.requests_to("/balance")[0].method == "GET"


# routes ----------------------------------------------------------------------------------------------------
def test_routes_list(live, emu):
    r = live("routes", "-f", "json")
    assert r.exit_code == 0, r.stderr
    got: dict[str, list[str]] = {}
    for row in json.loads(r.stdout):
        got.setdefault(row["route_type"], []).append(row["route"])
    assert got == data.ROUTES


def test_route_for_a_number(live, emu):
    r = live("routes", NUMBER, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    [request] = emu.requests_to("/route")
    assert request.query["msisdn"] == NUMBER
    info = data.info(NUMBER)
    assert row["msisdn"] == NUMBER
    assert row["route"] == info.country.hlr_route
    assert row["mccmnc"] == info.original_mccmnc
    assert row["confidence_level"] and row["origin"]


def test_route_for_a_national_number(live, emu):
    r = live("routes", "01788735000", "--country", "DE", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert emu.requests_to("/route")[0].query["msisdn"] == NUMBER


def test_route_for_garbage_is_one_line_and_no_request(live, emu):
    r = live("routes", "garbage")
    assert r.exit_code == 2
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "'garbage'" in r.stderr
    assert emu.requests == []


def test_routing_map(live, emu):
    r = live("routes", "--map", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    scopes = [row["scope"] for row in rows]
    assert scopes[0] == "default" and rows[0]["route"] == "V11"
    assert rows[1]["scope"] == "mnpFallback" and rows[1]["route"] == "true"
    assert scopes.count("mccmnc") == sum(len(c.networks) for c in data.COUNTRIES)
    assert scopes.count("prefix") == 1 and scopes.count("country") == 1
    prefix = next(row for row in rows if row["scope"] == "prefix")
    assert (prefix["cns"], prefix["route"], prefix["mno"]) == ("+4917821", "DV8", "O2")


def test_routes_number_and_map_together_is_a_usage_error(live, emu):
    assert live("routes", NUMBER, "--map").exit_code == 2
    assert emu.requests == []


# price -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("route_type", ["HLR", "MNP", "nt"])
def test_price_of_a_number(live, emu, route_type):
    r = live("price", NUMBER, "--type", route_type, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    [request] = emu.requests_to("/price")
    assert request.query == {"msisdn": NUMBER, "route_type": route_type.upper()}
    cost = {"HLR": data.HLR_COST, "MNP": data.MNP_COST, "NT": data.NT_COST}[route_type.upper()]
    assert Decimal(str(row["amount"])) == cost
    assert row["route_type"] == route_type.upper()
    assert row["msisdn"] == NUMBER
    assert row["route"]


def test_price_with_route(live, emu):
    r = live("price", NUMBER, "--route", "E10", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert emu.requests_to("/price")[0].query["route"] == "E10"
    assert rows_of(r.stdout)[0]["route"] == "E10"


def test_price_list(live, emu):
    r = live("price", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    expected = len(data.ROUTES["HLR"]) + len(data.COUNTRIES) + len(data.ROUTES["MNP"]) + len(data.ROUTES["NT"])
    assert len(rows) == expected
    by_type = {row["route_type"] for row in rows}
    assert by_type == {"HLR", "MNP", "NT"}
    de = next(row for row in rows if row["countrycode"] == "DE")
    assert Decimal(str(de["price"])) == data.HLR_COST
    assert de["countryname"] == "Germany"


def test_price_tariff_only_for_affiliate(live, emu):
    r = live("price", "--tariff", "3", "-p", "hlrlookups")
    assert r.exit_code == 2
    assert "--tariff" in r.stderr
    assert emu.requests == []


# coverage and networks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", ["SMALL", "medium", None])
def test_hlr_coverage(live, emu, sample):
    args = ["--sample-size", sample] if sample else []
    r = live("coverage", "de", *args, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [request] = emu.requests_to("/hlr-coverage")
    assert request.query.get("countrycode") == "DE"
    assert request.query.get("sample_size") == (sample.upper() if sample else None)
    rows = json.loads(r.stdout)
    country = data.COUNTRY_BY_CODE["DE"]
    assert len(rows) == 2 * len(country.networks)
    assert {row["mccmnc"] for row in rows} == {country.mccmnc(n) for n in country.networks}
    for row in rows:
        assert row["mnc"] == row["mnc"].strip() and row["mcc"] + row["mnc"] == row["mccmnc"]
        assert row["countrycode"] == "DE" and row["name"] == country.name
        total = row["CONNECTED"] + row["ABSENT"] + row["INVALID_MSISDN"] + row["UNDETERMINED"]
        assert total == row["n"]
    assert sum(1 for row in rows if row["selected"]) == len(country.networks)


def test_hlr_coverage_csv_mnc_is_trimmed(live, emu):
    r = live("coverage", "FR", "-f", "csv")
    for row in rows_of(r.stdout):
        assert row["mnc"] and " " not in row["mnc"]


def test_hlr_coverage_needs_a_country(live, emu):
    assert live("coverage").exit_code == 2
    assert live("coverage", "XX").exit_code == 2
    assert emu.requests == []


def test_mnp_coverage(live, emu):
    r = live("coverage", "FR", "--type", "mnp", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert emu.requests_to("/mnp-coverage")[0].query == {"countrycode": "FR"}
    rows = json.loads(r.stdout)
    country = data.COUNTRY_BY_CODE["FR"]
    assert [(row["mnc"], row["brand"]) for row in rows] == [(n.mnc, n.brand) for n in country.networks]


def test_mnp_countries(live, emu):
    r = live("coverage", "--mnp-countries", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert [row["countrycode"] for row in rows_of(r.stdout)] == data.MNP_COUNTRIES


@pytest.mark.parametrize("country", [None, "GB"])
def test_networks(live, emu, country):
    r = live("networks", *([country] if country else []), "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    [request] = emu.requests_to("/mccmncs")
    assert request.query == ({"countrycode": country} if country else {})
    wanted = [c for c in data.COUNTRIES if country in (None, c.code)]
    assert [row["mccmnc"] for row in rows] == [c.mccmnc(n) for c in wanted for n in c.networks]
    assert all(row["mnc"] == row["mnc"].strip() for row in rows)
    assert all(row["operator"] for row in rows)


# doctor ----------------------------------------------------------------------------------------------------
def checks(text: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(c["provider"], c["check"]): c for c in json.loads(text)}


def test_doctor_all_ok(live, emu):
    r = live("doctor", "-f", "json")
    assert r.exit_code == 0, r.stderr
    found = checks(r.stdout)
    for key in [
        ("hlrlookups", "reachability"),
        ("hlrlookups", "clock"),
        ("hlrlookups", "authentication"),
        ("hlrlookups", "balance"),
        ("smspartner", "authentication"),
        ("smspartner", "balance"),
        ("affiliate", "authentication"),
    ]:
        assert found[key]["status"] == "ok", key
    assert data.trim_balance(emu.hlr_balance) in found[("hlrlookups", "balance")]["detail"]
    assert emu.requests_to("/auth-test") and emu.requests_to("/me")
    assert emu.charge_count() == 0
    assert_no_secrets(r.all)


def test_doctor_reports_and_corrects_clock_skew(live, emu):
    emu.clock_skew = 600
    r = live("doctor", "-p", "hlrlookups", "-f", "json")
    assert r.exit_code == 0, r.stderr
    found = checks(r.stdout)
    assert found[("hlrlookups", "clock")]["status"] == "warn"
    [said] = re.findall(r"([+-]\d+) s off", found[("hlrlookups", "clock")]["detail"])
    assert abs(int(said) - 600) <= 1  # /time has a one-second resolution
    assert found[("hlrlookups", "authentication")]["status"] == "ok"


@pytest.mark.parametrize(
    ("provider", "setting", "value"),
    [
        ("hlrlookups", "HLR_LOOKUPS_API_SECRET", "not-the-secret-42"),
        ("smspartner", "SMSPARTNER_API_KEY", "not-the-key-42424242"),
        ("affiliate", "AFFILIATE_SMS_API_KEY", "live_not-the-key-4242"),
    ],
)
def test_doctor_bad_credentials_is_exit_3(live, emu, provider, setting, value):
    live.env(**{setting: value})
    r = live("doctor", "-f", "json")
    assert r.exit_code == 3
    found = checks(r.stdout)
    assert found[(provider, "authentication")]["status"] == "fail"
    assert setting in found[(provider, "authentication")]["detail"]
    others = {p for p in ("hlrlookups", "smspartner", "affiliate") if p != provider}
    assert all(found[(p, "authentication")]["status"] == "ok" for p in others)
    assert value not in r.all


@pytest.mark.parametrize(
    ("provider", "setting"),
    [
        ("hlrlookups", "HLR_LOOKUPS_BASE_URL"),
        ("smspartner", "SMSPARTNER_BASE_URL"),
        ("affiliate", "AFFILIATE_SMS_BASE_URL"),
    ],
)
def test_doctor_unreachable_is_exit_1(live, emu, provider, setting):
    live.env(**{setting: f"http://127.0.0.1:{closed_port()}/api"})
    r = live("doctor", "-p", provider, "--retries", "1", "-f", "json")
    assert r.exit_code == 1
    found = checks(r.stdout)
    assert found[(provider, "reachability")]["status"] == "fail"
    assert "Traceback" not in r.stderr
    assert_no_secrets(r.all)


def test_doctor_without_providers_says_offline_works(cli):
    r = cli("doctor", "-f", "json")
    assert r.exit_code == 0
    assert checks(r.stdout)[("offline", "configuration")]["status"] == "ok"


def test_doctor_unconfigured_provider_is_exit_3(cli):
    r = cli("doctor", "-p", "smspartner", "-f", "json")
    assert r.exit_code == 3
    assert "SMSPARTNER_API_KEY" in checks(r.stdout)[("smspartner", "configuration")]["detail"]


def test_account_commands_need_credentials(cli):
    r = cli("balance", "-p", "hlrlookups")
    assert r.exit_code == 3
    assert "HLR_LOOKUPS_API_KEY" in r.stderr
