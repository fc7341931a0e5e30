"""The offline provider's fast paths against libphonenumber's public functions, and the "not a number" rule.

hlrcli works out a number's region and type once, reads the geocoder, carrier and time-zone tables a file at a
time, and in batches shares answers between numbers whose prefixes decide them. None of that may change an
answer: here every answer is compared with what libphonenumber's own functions give, the way hlrcli used them
before (the reference below), over example numbers of every region and type, variants of them, and random
digits under every country code.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from phonenumbers import (
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
    carrier,
    geocoder,
    timezone,
)

from hlrcli.batch.reader import open_input
from hlrcli.batch.rows import RowShaper
from hlrcli.config import Settings
from hlrcli.numbers import _parse_plus_digits, check, normalise, parse_plus_digits, region_and_type
from hlrcli.output import CsvWriter, Style
from hlrcli.providers.offline import (
    NT_CONSTANTS,
    NT_FIELDS,
    NtAnswers,
    Offline,
    PrefixTable,
    _region_name,
    nt_values,
)

# The reference: hlrcli's parsing and NT answer as they were, on libphonenumber's public functions --------------
_JUNK = re.compile(r"[\s().\-/\u00a0]")
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    NumberParseException.NOT_A_NUMBER: "not a number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "invalid length",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short",
}
NO_COUNTRY = "no country code (write +CC…, 00CC… or pass --country)"
TYPES = {
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
MOBILE = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER)


def _parse_once(text: str, region: str | None) -> tuple[Any, str | None]:
    try:
        pn = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and not text.startswith("+") and not region:
            return None, NO_COUNTRY
        return None, _PARSE_REASONS.get(exc.error_type, "not a number")
    possible = phonenumbers.is_possible_number_with_reason(pn)
    if possible != ValidationResult.IS_POSSIBLE:
        return pn, _POSSIBLE_REASONS.get(possible, "invalid length")
    if not phonenumbers.is_valid_number(pn):
        return pn, "invalid number (no such range)"
    return pn, None


def reference_parse(raw: str, country: str | None) -> tuple[Any, str | None]:
    text = _JUNK.sub("", raw.strip())
    if not text:
        return None, "empty"
    if text.lower().startswith("tel:"):
        text = text[4:]
    if text.startswith("00"):
        text = "+" + text[2:]
    pn, reason = _parse_once(text, country)
    if reason and text.isdigit() and len(text) >= 8:
        alt, alt_reason = _parse_once("+" + text, None)
        if alt_reason is None:
            return alt, None
    return pn, reason


def reference_nt(raw: str, country: str | None) -> tuple[Any, ...]:
    """NT_FIELDS as the offline provider computed them with phonenumbers.geocoder, carrier and timezone."""
    pn, error = reference_parse(raw, country)
    if pn is None:
        return (raw, "UNKNOWN", False, error, False, None, None, None, None, None)
    valid = error is None
    ptype = phonenumbers.number_type(pn) if valid else PhoneNumberType.UNKNOWN
    kind = TYPES.get(ptype, "UNKNOWN")
    region = phonenumbers.region_code_for_number(pn)
    name = geocoder.country_name_for_number(pn, "en") or None
    description, zones, network = "", (), None
    if ptype != PhoneNumberType.UNKNOWN:
        if phonenumbers.is_number_type_geographical(ptype, pn.country_code):
            description = geocoder.description_for_valid_number(pn, "en")
            zones = timezone.time_zones_for_geographical_number(pn)
        else:
            description = name or ""
            zones = timezone._country_level_time_zones_for_number(pn)
        if ptype in MOBILE:
            network = carrier.name_for_valid_number(pn, "en") or None
    return (
        phonenumbers.format_number(pn, PhoneNumberFormat.E164) if valid else raw,
        kind,
        valid,
        error,
        valid and kind in ("MOBILE", "MOBILE_OR_LANDLINE"),
        network,
        name,
        region if region and region != "ZZ" else None,
        (description,) if description else (),
        tuple(z for z in zones if z != "Etc/Unknown"),
    )


# The numbers -----------------------------------------------------------------------------------------------------
def _variants(e164: str, rnd: random.Random) -> Iterator[str]:
    yield e164
    yield e164[:-1] + str((int(e164[-1]) + 1) % 10)  # a neighbour, often in another range
    yield e164[:-1]  # one digit short
    yield e164 + str(rnd.randrange(10))  # one digit long
    yield e164[:-3] + f"{rnd.randrange(1000):03d}"
    yield "00" + e164[1:]
    yield e164[1:]  # bare international digits


def corpus() -> Iterator[tuple[str, str | None]]:
    """(cell, --country) pairs: every region's example numbers of every type, variants, random digits, junk."""
    rnd = random.Random(13)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in PhoneNumberType.values():
            pn = phonenumbers.example_number_for_type(region, kind)
            if pn is None:
                continue
            e164 = phonenumbers.format_number(pn, PhoneNumberFormat.E164)
            for raw in _variants(e164, rnd):
                yield raw, None
            yield phonenumbers.format_number(pn, PhoneNumberFormat.NATIONAL), region
        bad = phonenumbers.invalid_example_number(region)
        if bad is not None:
            yield phonenumbers.format_number(bad, PhoneNumberFormat.E164), None
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        pn = phonenumbers.example_number_for_non_geo_entity(code)
        if pn is not None:
            yield phonenumbers.format_number(pn, PhoneNumberFormat.E164), None
        for _ in range(12):
            yield f"+{code}{rnd.randrange(10 ** rnd.randrange(4, 13))}", None
    for raw in ("", "  ", "()", "n/a", "+", "00", "tel:", "tel:+4930123456", "+999123456", "0301234567", "12"):
        yield raw, None
    yield "030 1234567", "DE"
    yield "(415) 555-0123", "US"
    yield "+1 415 555 0123 ext. 12", None


@functools.cache
def cases() -> list[tuple[str, str | None]]:
    """The corpus, built when a test first asks (not at collection, in every worker)."""
    return list(corpus())


def test_the_corpus_covers_what_it_should():
    assert len(cases()) > 12_000
    kinds = {reference_nt(raw, country)[1] for raw, country in cases()[:3000]}
    assert {"MOBILE", "LANDLINE", "MOBILE_OR_LANDLINE", "TOLL_FREE", "UNKNOWN"} <= kinds


@pytest.mark.parametrize("region", [None, "DE", "US"])
def test_parsing_plus_and_digits_is_libphonenumbers(region):
    rnd = random.Random(7)
    shortcut = 0
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for size in range(19):
            for _ in range(4):
                text = f"+{code}" + "".join(rnd.choice("0123456789") for _ in range(size))
                try:
                    expected = phonenumbers.parse(text, region)
                except NumberParseException:
                    expected = None
                got = _parse_plus_digits(text)
                if got is not None:
                    shortcut += 1
                    assert got[0] == expected, text
                    assert got[1] == phonenumbers.is_possible_number_with_reason(expected), text
    assert shortcut > 10_000
    for text in ("+0123456789", "++491711234567", "+4", "+49", "+491", "+\uff14\uff19171234567", "+49171x12"):
        assert parse_plus_digits(text) is None


def test_region_and_type_are_libphonenumbers():
    for raw, country in cases():
        pn, _ = reference_parse(raw, country)
        if pn is None:
            continue
        valid = phonenumbers.is_valid_number(pn)
        expected = (
            phonenumbers.region_code_for_number(pn),
            phonenumbers.number_type(pn) if valid else PhoneNumberType.UNKNOWN,
        )
        assert region_and_type(pn) == expected, raw


def test_checks_are_the_reference_ones():
    for raw, country in cases():
        pn, error, _, _ = check(raw, country)
        ref_pn, ref_error = reference_parse(raw, country)
        assert (pn, error) == (ref_pn, ref_error), raw
        number = normalise(raw, country)
        if ref_error is None:
            assert number.e164 == phonenumbers.format_number(ref_pn, PhoneNumberFormat.E164)
            assert number.region == phonenumbers.region_code_for_number(ref_pn)


def test_nt_answers_are_the_reference_ones():
    for raw, country in cases():
        assert nt_values(normalise(raw, country)) == reference_nt(raw, country), raw


def test_batch_answers_are_the_reference_ones_whatever_was_asked_before():
    # One NtAnswers per country, as a batch has: answers shared between numbers must still be each one's own.
    answers: dict[str | None, NtAnswers[tuple[Any, ...]]] = {}
    for raw, country in cases() + cases()[::-7]:
        valid, number, rest = answers.setdefault(country, NtAnswers(country, tuple, size=512))(raw)
        expected = reference_nt(raw, country)
        assert (number, *rest) == expected, raw
        assert valid is expected[2]


def test_validate_is_the_reference_one():
    provider = Offline(Settings({}))
    for raw, country in cases()[::5]:
        pn, error = reference_parse(raw, country)
        got = provider.validate_one(normalise(raw, country))
        if pn is None or error:
            assert (got.valid, got.reason) == (False, error)
            continue
        assert got.valid is True
        assert got.type == TYPES.get(phonenumbers.number_type(pn), "UNKNOWN")
        assert got.country == phonenumbers.region_code_for_number(pn)
        assert got.network == (carrier.name_for_number(pn, "en") or None)
        assert got.national == phonenumbers.format_number(pn, PhoneNumberFormat.NATIONAL)


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [("geodata", "GEOCODE", "geodata"), ("carrierdata", "CARRIER", "carrierdata"), ("tzdata", "TIMEZONE", "tzdata")],
)
def test_prefix_tables_read_by_the_file_are_libphonenumbers(package, name, module):
    table = PrefixTable(package, name)
    table.describe("4930123456") if name != "TIMEZONE" else table.prepare("4930123456")
    assert not table._whole, "the data files no longer look as expected: every lookup imports the whole table"
    whole = getattr(__import__(f"phonenumbers.{module}", fromlist=["x"]), f"{name}_DATA")
    assert table.load_all() == whole
    # A span is the most digits any key starting with those first digits has: no key is longer.
    for head in ("141", "491", "336", "447", "861", "999"):
        longest = max((len(k) for k in whole if k.startswith(head)), default=0)
        assert table.span(head) == max(len(head), longest)


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [("geodata", "GEOCODE", "geodata"), ("carrierdata", "CARRIER", "carrierdata"), ("tzdata", "TIMEZONE", "tzdata")],
)
def test_prefix_tables_read_by_the_line_are_libphonenumbers(package, name, module):
    table = PrefixTable(package, name)
    table.TEXT_LOOKUPS = 10**9  # never switch to importing the files
    whole = getattr(__import__(f"phonenumbers.{module}", fromlist=["x"]), f"{name}_DATA")
    rnd = random.Random(5)
    keys = sorted(whole)[::41] + [str(rnd.randrange(10 ** rnd.randrange(1, 10))) for _ in range(3000)]
    for key in keys:
        assert table.value(key) == whole.get(key), key
    assert not any(table._loaded)


def test_country_names_read_by_the_line_are_libphonenumbers():
    from phonenumbers.geodata.locale import LOCALE_DATA

    for region in [*LOCALE_DATA, "ZZ", "001", "", "XX"]:
        assert _region_name(region) == geocoder._region_display_name(region, "en"), region


# The "not a number" rule --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["-491788735001", "=491788735001", "@491788735001", "'491788735001", "x49178873500"])
def test_a_cell_not_starting_like_a_number_is_not_a_number(raw):
    assert normalise(raw).error == "not a number"
    assert normalise("  " + raw).error == "not a number"
    assert normalise(raw, "DE").error == "not a number"


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("+491788735001", None),
        ("  +49 178 8735001", None),
        ("491788735001", None),
        ("(0178) 8735001", "DE"),
        ("tel:+491788735001", None),
        ("TEL:+491788735001", None),
        ("\uff10\uff11\uff17\uff18 8735001", "DE"),  # full-width digits
    ],
)
def test_cells_starting_with_a_digit_plus_parenthesis_or_tel_are_read(raw, country):
    number = normalise(raw, country)
    assert number.ok, number.error
    assert number.e164 == "+491788735001"


def test_offline_nt_refuses_a_formula_cell(cli):
    r = cli("nt", "-p", "offline", "-f", "json", "--", "-491788735001")
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)
    assert (row["is_valid"], row["invalid_reason"], row["number_type"]) == (False, "not a number", "UNKNOWN")


def test_a_formula_cell_is_never_sent_to_a_paid_provider(live, emu):
    r = live("lookup", "-p", "hlrlookups", "--", "=491788735001")
    assert "not a number" in r.stderr
    assert emu.charge_count("hlrlookups") == 0


# Batch CSV: written by the workers, byte for byte what the shaper and CsvWriter write ----------------------------
def _expected_csv(
    header: list[str],
    rows: list[list[str]],
    number_at: int,
    country: str | None,
    style: Style | None = None,
    reference: bool = True,
) -> str:
    shaper = RowShaper(header, "nt", "offline")
    buf = io.StringIO()
    out = CsvWriter(buf, columns=shaper.columns, style=style)
    provider = Offline(Settings({}))
    for cells in rows:
        result = provider.nt(normalise(cells[number_at], country))
        if reference:  # (the answers themselves are checked on the whole corpus above)
            assert tuple(getattr(result, f) for f in NT_FIELDS) == reference_nt(cells[number_at], country)
        out.write(shaper.shape(cells, {f: getattr(result, f) for f in (*NT_FIELDS, *NT_CONSTANTS)}))
    out.close()
    return buf.getvalue()


@pytest.mark.parametrize(
    ("header", "parallel", "delimiter", "raw"),
    [
        (["id", "name", "phone"], True, ",", False),  # worker processes from 1 MiB of input on
        (["id", "name", "phone"], False, ";", False),
        (["phone"], False, ",", True),
        (["number", "id", "result_id", "phone"], False, ",", False),  # clashing names: renamed result columns
        (["phone", "x", "x"], False, "\t", False),  # a repeated input column
    ],
)
def test_offline_batch_csv_is_what_the_row_shaper_and_csv_writer_write(cli, tmp_path, header, parallel, delimiter,
                                                                         raw):  # fmt: skip
    rnd = random.Random(len(header))
    cells = [raw_cell for raw_cell, country in cases() if country is None]
    width = len(header)
    at = header.index("phone")
    rows: list[list[str]] = []
    size = 0
    while size < (1_200_000 if parallel else 60_000):
        i = len(rows)
        # Quotes, line breaks, a bare CR, empty cells, and cells a spreadsheet would run (defused unless --raw).
        kinds = [f"v{i}", f'a "quoted", value {i}', f"line\nbreak {i}", "", f"=HYPERLINK({i})", "-2+3", f"cr\r{i}"]
        row = [kinds[(i + j) % len(kinds)] for j in range(width)]
        row[at] = rnd.choice(cells) if i % 9 else "+49 178 8735001"
        rows.append(row)
        size += sum(len(c) + 3 for c in row)
    buf = io.StringIO()
    plain = csv.writer(buf, lineterminator="\n", delimiter=delimiter)
    quoted = csv.writer(buf, lineterminator="\n", delimiter=delimiter, quoting=csv.QUOTE_ALL)
    for row in [header, *rows]:
        (quoted if any("\r" in c for c in row) else plain).writerow(row)  # a bare CR is only safe in quotes
    src = tmp_path / "in.csv"
    src.write_text(buf.getvalue(), encoding="utf-8")
    assert (src.stat().st_size > 1 << 20) is parallel
    args = ["batch", str(src), "-p", "offline", "-t", "nt", "--column", "phone", "-o", str(tmp_path / "out.csv")]
    r = cli(*args, *(["--raw"] if raw else []))
    assert r.exit_code == 0, r.stderr
    read = list(open_input(str(src), "phone").rows())  # as the batch reads them (blank rows skipped)
    style = Style(delimiter=delimiter, raw=raw)
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as fh:  # a CR inside a cell stays a CR
        assert fh.read() == _expected_csv(header, read, at, None, style, reference=not parallel)


def test_offline_batch_json_is_unchanged(cli, tmp_path):
    cells = [raw for raw, country in cases() if country is None][:400]
    src = Path(tmp_path / "in.csv")
    src.write_text("phone\n" + "\n".join(f'"{c}"' for c in cells) + "\n", encoding="utf-8")
    r = cli("batch", str(src), "-p", "offline", "-t", "nt", "-f", "ndjson")
    assert r.exit_code == 0, r.stderr
    got = [json.loads(line) for line in r.stdout.splitlines()]
    kept = [c for c in cells if c.strip()]  # blank lines are no rows
    assert [g["msisdn"] for g in got] == [reference_nt(c, None)[0] for c in kept]
    assert [g["regions"] for g in got] == [list(reference_nt(c, None)[8]) for c in kept]
