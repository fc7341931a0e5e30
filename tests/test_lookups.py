"""Single-number lookups on hlrlookups (lookup, mnp, nt): formats, fields, numbers, duplicates, order.

Every expectation comes from the emulator (its stored results, its deterministic rules, what it received).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from hlrcli.output import Format
from tests.conftest import assert_no_secrets

# German mobile numbers, valid for libphonenumber; the last digit decides the emulator's answer.
DE = [f"+4917887350{i:02d}" for i in range(10)]


def parse(fmt: str, text: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "json":
        data = json.loads(text)
        assert isinstance(data, list)
        return data
    assert fmt == "ndjson"
    return [json.loads(line) for line in text.splitlines()]


def cell(value: Any) -> str:
    """A JSON value as the CSV writer spells it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    return str(value)


def bodies(emu: Any, path: str) -> list[dict[str, Any]]:
    return [r.json() for r in emu.requests_to(path, "hlrlookups")]


@pytest.mark.parametrize("fmt", [f.value for f in Format if f is not Format.xlsx])  # xlsx: test_output
def test_lookup_in_every_format(live, emu, fmt):
    numbers = [DE[0], DE[6], DE[8], DE[9]]
    r = live("lookup", *numbers, "-f", fmt)
    assert r.exit_code == 0, r.stderr
    assert emu.charge_count("hlrlookups") == len(numbers)
    if fmt == "table":
        for n in numbers:
            assert n in r.stdout
            assert emu.expected_status(n) in r.stdout.replace("\n", "")
        return
    rows = parse(fmt, r.stdout)
    assert [row["msisdn"] for row in rows] == numbers
    assert [row["connectivity_status"] for row in rows] == [emu.expected_status(n) for n in numbers]
    assert {row["provider"] for row in rows} == {"hlrlookups"}


@pytest.mark.parametrize(
    ("command", "path", "key"),
    [("lookup", "/hlr-lookup", "msisdn"), ("mnp", "/mnp-lookup", "msisdn"), ("nt", "/nt-lookup", "number")],
)
def test_results_carry_every_field_the_provider_sent(live, emu, command, path, key):
    numbers = [DE[1], DE[3], DE[7]]
    r = live(command, *numbers, "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    stored = emu.stored_results()
    assert len(stored) == len(numbers)
    for number, row in zip(numbers, rows, strict=True):
        assert row["msisdn"] == number  # NT's `number` too: one name for the number in every command
        assert row["provider"] == "hlrlookups"
        assert row["error"] is None
        sent = stored[row["id"]]
        for field, value in sent.items():
            expected = value.strip() if isinstance(value, str) else value
            if field == "cost":  # money is a number in JSON
                expected = float(value)
            assert row["msisdn" if field == "number" else field] == expected, field
    # The documented body: the number, route and storage (null unless given).
    assert sorted(b[key] for b in bodies(emu, path)) == sorted(numbers)
    assert all(b["route"] is None and b["storage"] is None for b in bodies(emu, path))


def test_hlr_fields_follow_the_emulator_rules(live, emu):
    number = DE[5]
    r = live("lookup", number, "-f", "json")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    facts = emu.expected(number)
    assert row["connectivity_status"] == facts["status"]
    assert row["is_ported"] is facts["is_ported"]
    assert row["is_roaming"] is facts["is_roaming"]
    assert row["mcc"] + row["mnc"] == row["mccmnc"]


def test_route_and_storage_are_sent(live, emu):
    r = live("lookup", DE[0], "--route", "E10", "--storage", "my-report", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    [body] = bodies(emu, "/hlr-lookup")
    assert body == {"msisdn": DE[0], "route": "E10", "storage": "my-report"}
    [row] = parse("csv", r.stdout)
    assert row["route"] == "E10"
    assert row["storage"].startswith("my-report")


def test_nt_lists_are_joined_in_csv_and_arrays_in_json(live, emu):
    landline = "+4989702626"
    r_csv = live("nt", landline, "-f", "csv")
    r_json = live("nt", landline, "-f", "json")
    assert r_csv.exit_code == r_json.exit_code == 0
    [row_csv] = parse("csv", r_csv.stdout)
    [row_json] = parse("json", r_json.stdout)
    assert isinstance(row_json["regions"], list) and row_json["regions"]
    assert isinstance(row_json["timezones"], list) and row_json["timezones"]
    assert row_csv["regions"] == ";".join(row_json["regions"])
    assert row_csv["timezones"] == ";".join(row_json["timezones"])
    stored = emu.stored_results()[row_json["id"]]
    assert row_json["number_type"] == stored["number_type"]
    assert row_json["qualifies_for_hlr_lookup"] is stored["qualifies_for_hlr_lookup"]


def test_nt_route_and_storage_only_on_hlrlookups(live, emu):
    r = live("nt", DE[0], "-p", "offline", "--route", "LC1")
    assert r.exit_code == 2
    assert "--route" in r.stderr and "hlrlookups" in r.stderr
    r = live("nt", DE[0], "--route", "LC1", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert bodies(emu, "/nt-lookup")[0]["route"] == "LC1"


def test_number_forms_are_normalised_before_sending(live, emu):
    r = live("lookup", DE[0], "00" + DE[1][1:], DE[2].replace("+49", "0"), "--country", "de", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert sorted(b["msisdn"] for b in bodies(emu, "/hlr-lookup")) == DE[:3]
    assert [row["msisdn"] for row in parse("csv", r.stdout)] == DE[:3]


def test_national_number_without_country_is_refused(live, emu):
    r = live("lookup", DE[2].replace("+49", "0"), "-f", "csv")
    assert r.exit_code == 2
    assert "--country" in r.stderr
    assert emu.requests == []


def test_unknown_country_is_a_usage_error(live, emu):
    r = live("lookup", "01788735002", "--country", "QQ")
    assert r.exit_code == 2
    assert "QQ" in r.stderr
    assert emu.requests == []


def test_garbage_numbers_are_reported_and_never_sent(live, emu):
    bad = ["garbage", "+4912", "+999123456789", "4917887350001234567"]
    r = live("lookup", DE[0], *bad, DE[1], "-f", "csv")
    assert r.exit_code == 2
    lines = r.stderr.splitlines()
    for raw in bad:
        assert len([line for line in lines if repr(raw) in line]) == 1, r.stderr
    assert len(lines) == len(bad), r.stderr
    # Only the two good numbers reached the provider, and only they were charged.
    assert sorted(b["msisdn"] for b in bodies(emu, "/hlr-lookup")) == [DE[0], DE[1]]
    assert emu.charge_count() == 2
    rows = parse("csv", r.stdout)
    assert [row["msisdn"] for row in rows] == [DE[0], *bad, DE[1]]
    assert [bool(row["error"]) for row in rows] == [False, True, True, True, True, False]
    assert rows[0]["connectivity_status"] == emu.expected_status(DE[0])


@pytest.mark.parametrize("command", ["lookup", "mnp", "nt"])
def test_only_garbage_sends_nothing(live, emu, command):
    r = live(command, "not-a-number", "-f", "json")
    assert r.exit_code == 2
    assert len(r.stderr.splitlines()) == 1
    assert emu.requests == []
    [row] = json.loads(r.stdout)
    assert row["error"]


def test_duplicates_are_looked_up_once_and_printed_each_time(live, emu):
    r = live("lookup", DE[4], "00" + DE[4][1:], DE[5], DE[4], "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["msisdn"] for row in rows] == [DE[4], DE[4], DE[5], DE[4]]
    assert len(emu.requests_to("/hlr-lookup")) == 2
    assert emu.charged_numbers() == {DE[4]: 1, DE[5]: 1}
    assert len({rows[0]["id"], rows[1]["id"], rows[3]["id"]}) == 1


def test_many_numbers_keep_the_order_given(live, emu):
    emu.latency = 0.02  # answers overlap in the pool: order must still be the input's
    numbers = list(reversed(DE))
    r = live("mnp", *numbers, "-f", "ndjson")
    assert r.exit_code == 0, r.stderr
    rows = parse("ndjson", r.stdout)
    assert [row["msisdn"] for row in rows] == numbers
    assert [row["is_ported"] for row in rows] == [emu.expected(n)["is_ported"] for n in numbers]


def test_a_provider_failure_is_a_row_a_stderr_line_and_exit_1(live, emu):
    emu.inject(400, {"errors": ["Invalid MSISDN."]}, path="/hlr-lookup")
    r = live("lookup", DE[0], "-f", "csv")
    assert r.exit_code == 1
    [row] = parse("csv", r.stdout)
    assert "Invalid MSISDN." in row["error"]
    assert "Invalid MSISDN." in r.stderr
    assert "Traceback" not in r.stderr


def test_lookup_on_a_provider_without_it_names_those_that_can(live, emu):
    r = live("mnp", DE[0], "-p", "smspartner")
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == ["hlrcli: error: mnp is not available on smspartner; use -p hlrlookups"]
    assert emu.requests == []


@pytest.mark.parametrize(
    ("provider", "flags"),
    [
        ("hlrlookups", ["--tag", "x"]),
        ("hlrlookups", ["--notify-url", "https://example.com/n"]),
        ("hlrlookups", ["--tariff", "3"]),
        ("hlrlookups", ["--reference", "r1"]),
        ("hlrlookups", ["--callback-url", "https://example.com/c"]),
        ("smspartner", ["--route", "V11"]),
        ("affiliate", ["--storage", "s"]),
        ("affiliate", ["--tag", "x"]),
        ("smspartner", ["--tariff", "1"]),
    ],
)
def test_provider_specific_flags_on_the_wrong_provider(live, emu, provider, flags):
    r = live("lookup", DE[0], "-p", provider, *flags)
    assert r.exit_code == 2
    assert flags[0] in r.stderr
    assert emu.requests == []


def test_lookup_secrets_never_printed(live, emu):
    r = live("lookup", DE[0], DE[9], "-v", "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert_no_secrets(r.all)
