"""Parse and normalise phone numbers with libphonenumber, keeping the reason a number is unusable.

Offline batches run this on millions of cells, so a number's region and type are worked out once here, in one
search over the regions of its country code, and handed on (`Number.type`) rather than recomputed by each
libphonenumber function that needs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import phonenumbers
from phonenumbers import (
    COUNTRY_CODE_TO_REGION_CODE,
    REGION_CODE_FOR_NON_GEO_ENTITY,
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberType,
    ValidationResult,
    national_significant_number,
)
from phonenumbers import phonenumberutil as _util

_JUNK = re.compile(r"[\s().\-/\u00a0]")
# libphonenumber skips whatever precedes the first digit or plus sign, so "-49…", "=49…" or "'49…" (spreadsheet
# escapes and formulas) would pass as numbers and be paid for: after leading spaces a cell must start with a
# digit, "tel:" or one of these (the full-width plus is libphonenumber's too), else it is "not a number".
_STARTS = frozenset("+\uff0b(")
UNKNOWN = PhoneNumberType.UNKNOWN
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


@dataclass(frozen=True, slots=True)
class Number:
    """One number as the user wrote it, and what we made of it."""

    raw: str
    e164: str | None = None
    region: str | None = None
    error: str | None = None
    parsed: PhoneNumber | None = field(default=None, compare=False, repr=False)
    # The libphonenumber type of a usable number (never UNKNOWN then); None where nobody worked it out.
    type: int | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None


# Type tests in the order of libphonenumber's _number_type_helper: the first that matches names the type.
_EARLY_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
# A PhoneNumberDesc as (possible lengths, None for any; compiled national number pattern, None if it has none).
_Desc = tuple[frozenset[int] | None, re.Pattern[str] | None]


def _desc(desc: Any) -> _Desc:
    if desc is None:
        return frozenset(), None
    lengths = frozenset(desc.possible_length) if desc.possible_length else None
    pattern = desc.national_number_pattern
    return lengths, re.compile(pattern) if pattern else None


def _never(desc: _Desc) -> bool:
    # No pattern, or only lengths no number has (-1 marks a type a region does not have): never matches.
    lengths, pattern = desc
    return pattern is None or (lengths is not None and all(n < 0 for n in lengths))


_Tests = tuple[
    tuple[tuple[int, frozenset[int] | None, re.Pattern[str]], ...],  # the early type tests that can match, in order
    _Desc,  # fixed line
    _Desc,  # mobile
    bool,  # same_mobile_and_fixed_line_pattern
]


class TypePlan:
    """One region's metadata, compiled for the type test (libphonenumber looks each pattern up at every test).

    The general pattern is compiled at once (a number of a shared country code is tried against each region's);
    the others when a number first passes it.
    """

    __slots__ = ("_md", "_tests", "general")

    def __init__(self, md: PhoneMetadata) -> None:
        self.general = _desc(md.general_desc)
        self._md: PhoneMetadata | None = md
        self._tests: _Tests | None = None

    def tests(self) -> _Tests:
        if self._tests is None:
            md = self._md
            assert md is not None
            early = []
            for name, kind in _EARLY_TYPES:
                lengths, pattern = _desc(getattr(md, name))
                if not _never((lengths, pattern)) and pattern is not None:
                    early.append((kind, lengths, pattern))
            self._tests = (
                tuple(early),
                _desc(md.fixed_line),
                _desc(md.mobile),
                bool(md.same_mobile_and_fixed_line_pattern),
            )
            self._md = None
        return self._tests


def type_under(nsn: str, plan: TypePlan) -> int:
    """The type of a national significant number under one region's metadata; UNKNOWN: not valid there.

    libphonenumber's (private) _number_type_helper, on patterns compiled once: the same tests in the same order,
    so the same answer.
    """
    size = len(nsn)
    lengths, pattern = plan.general
    if (lengths is not None and size not in lengths) or pattern is None or pattern.fullmatch(nsn) is None:
        return UNKNOWN
    early, fixed, mobile, same = plan._tests or plan.tests()
    for kind, lengths, pattern in early:
        if (lengths is None or size in lengths) and pattern.fullmatch(nsn) is not None:
            return kind
    lengths, pattern = fixed
    if (lengths is None or size in lengths) and pattern is not None and pattern.fullmatch(nsn) is not None:
        if same:
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        lengths, pattern = mobile
        if (lengths is None or size in lengths) and pattern is not None and pattern.fullmatch(nsn) is not None:
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    lengths, pattern = mobile
    if not same and (lengths is None or size in lengths) and pattern is not None and pattern.fullmatch(nsn):
        return PhoneNumberType.MOBILE
    return UNKNOWN


class Region(NamedTuple):
    code: str
    leading: re.Pattern[str] | None  # the metadata's leading_digits: where present, they decide the region
    plan: TypePlan | None  # None: no metadata (never valid there)
    searched: bool  # region_code_for_number looks at it (it skips a region without metadata of its own)


_regions: dict[int, tuple[Region, ...]] = {}


def regions_of(country_code: int) -> tuple[Region, ...]:
    """The regions sharing a country calling code, in libphonenumber's order, each compiled once."""
    found = _regions.get(country_code)
    if found is None:
        entries = []
        for code in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
            # The search for the region reads a region's own metadata; the validity test, as
            # is_valid_number_for_region, takes non-geographic codes (region 001) by calling code and finds a
            # region whose metadata has another calling code invalid for the number.
            own = PhoneMetadata.metadata_for_region(code, None)
            md = PhoneMetadata.metadata_for_region_or_calling_code(country_code, code)
            if md is not None and code != REGION_CODE_FOR_NON_GEO_ENTITY and md.country_code != country_code:
                md = None
            leading = own.leading_digits if own is not None else None
            entries.append(
                Region(
                    code,
                    re.compile(leading) if leading is not None else None,
                    TypePlan(md) if md is not None else None,
                    own is not None,
                )
            )
        found = _regions[country_code] = tuple(entries)
    return found


def region_and_type(pn: PhoneNumber) -> tuple[str | None, int]:
    """region_code_for_number(pn), and number_type(pn) if is_valid_number(pn), else UNKNOWN.

    Both search the regions sharing the country code (+1 has 25) and test the number's type in each; called one
    after the other, as `is_valid_number` and `number_type` are, they search twice. This searches once.
    """
    regions = regions_of(pn.country_code or 0)
    if not regions:
        return None, UNKNOWN
    nsn = national_significant_number(pn)
    if len(regions) == 1:
        code, _, plan, _ = regions[0]
        return code, UNKNOWN if plan is None else type_under(nsn, plan)
    for code, leading, plan, searched in regions:
        if not searched:
            continue
        if leading is not None:
            # As region_code_for_number: matching leading digits decide the region, valid there or not.
            if leading.match(nsn):
                return code, UNKNOWN if plan is None else type_under(nsn, plan)
            continue
        kind = UNKNOWN if plan is None else type_under(nsn, plan)
        if kind != UNKNOWN:
            return code, kind
    return None, UNKNOWN


# phonenumbers.parse for the commonest shape, "+" and ASCII digits (what E.164 columns hold and what "00…", "tel:"
# and bare international digits become here). parse() first runs generic steps that leave such text as it is
# (looking for phone-context, extensions, letters, a second number; normalising each digit) and costs about
# as much as all the rest of a check; here they are skipped and libphonenumber's own helpers do the steps that
# matter. Anything else, or any step that would fail, goes to parse() itself. tests/test_offline_exact.py
# compares the two on every region's numbers.
_PLUS_DIGITS = re.compile(r"\+[1-9][0-9]{2,248}")
_strip_national_prefix = getattr(_util, "_maybe_strip_national_prefix_carrier_code", None)
_test_length = getattr(_util, "_test_number_length", None)
_set_leading_zeros = getattr(_util, "_set_italian_leading_zeros_for_phone_number", None)
_SHORT_OR_LOCAL = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY, ValidationResult.INVALID_LENGTH)


def parse_plus_digits(text: str) -> PhoneNumber | None:
    """phonenumbers.parse(text, region) where text is "+" and digits and parses; None: ask parse() itself."""
    found = _parse_plus_digits(text)
    return found[0] if found else None


def _parse_plus_digits(text: str) -> tuple[PhoneNumber, int] | None:
    """parse_plus_digits(text), and is_possible_number_with_reason of the result: both test the length of the
    national number against the same metadata, so the test made while parsing is not made again."""
    if _strip_national_prefix is None or _test_length is None or _set_leading_zeros is None:
        return None  # pragma: no cover - a libphonenumber without these helpers
    if not _PLUS_DIGITS.fullmatch(text):
        return None
    for size in (1, 2, 3):  # country codes are prefix-free: the first known prefix is the code
        code = int(text[1 : 1 + size])
        regions = COUNTRY_CODE_TO_REGION_CODE.get(code)
        if regions is not None:
            break
    else:
        return None
    national = text[1 + size :]
    md = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
    if md is None or len(national) < 2:
        return None
    _, stripped, _ = _strip_national_prefix(national, md)
    possible = _test_length(stripped, md)
    if possible not in _SHORT_OR_LOCAL:
        national = stripped
    elif stripped != national:
        possible = _test_length(national, md)
    if not 2 <= len(national) <= 17:
        return None
    pn = PhoneNumber(country_code=code)
    _set_leading_zeros(national, pn)  # (so that national_significant_number(pn) is `national` again)
    pn.national_number = int(national)
    return pn, possible


def _parse_once(text: str, region: str | None) -> tuple[PhoneNumber | None, str | None, str | None, int]:
    try:
        quick = _parse_plus_digits(text)
        if quick is None:
            pn = phonenumbers.parse(text, region)
            possible = phonenumbers.is_possible_number_with_reason(pn)
        else:
            pn, possible = quick
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE and not text.startswith("+") and not region:
            return None, NO_COUNTRY, None, UNKNOWN
        return None, _PARSE_REASONS.get(exc.error_type, "not a number"), None, UNKNOWN
    if possible != ValidationResult.IS_POSSIBLE:
        return pn, _POSSIBLE_REASONS.get(possible, "invalid length"), None, UNKNOWN
    found, kind = region_and_type(pn)
    if kind == UNKNOWN:
        return pn, "invalid number (no such range)", None, UNKNOWN
    return pn, None, found, kind


def check(raw: str, country: str | None = None) -> tuple[PhoneNumber | None, str | None, str | None, int]:
    """(parsed number, reason it is unusable, region, type): region and type are set when the reason is None.

    `country` is an upper-case region code (see check_country) or None.
    """
    text = raw.strip()
    if text and not (text[0].isdecimal() or text[0] in _STARTS or text[:4].lower() == "tel:"):
        return None, "not a number", None, UNKNOWN
    text = _JUNK.sub("", text)
    if not text:
        return None, "empty", None, UNKNOWN
    if text[:4].lower() == "tel:":
        text = text[4:]
    if text.startswith("00"):
        text = "+" + text[2:]
    result = _parse_once(text, country)
    # Many exports store international numbers as bare digits ("33612345678"): try that reading before failing.
    if result[1] and text.isdigit() and len(text) >= 8:
        alt = _parse_once("+" + text, None)
        if alt[1] is None:
            return alt
    return result


def parse(raw: str, country: str | None = None) -> tuple[PhoneNumber | None, str | None]:
    """Return the parsed number and None, or whatever could be parsed and the reason it is unusable."""
    pn, reason, _, _ = check(raw, country.upper() if country else None)
    return pn, reason


def e164_of(pn: PhoneNumber) -> str:
    """format_number(pn, E164) for a number from parse(…) (raw input not kept), without its general checks."""
    return f"+{pn.country_code}{national_significant_number(pn)}"


def normalise(raw: str, country: str | None = None) -> Number:
    pn, reason, region, kind = check(raw, country.upper() if country else None)
    if reason or pn is None:
        return Number(raw=raw, error=reason or "not a number", parsed=pn)
    return Number(
        raw=raw,
        e164=e164_of(pn),
        region=region,
        parsed=pn,
        type=kind,
    )


def distinct(numbers: list[Number]) -> list[Number]:
    """Each usable number once, in first-seen order: the same number twice is paid for once."""
    return list({n.e164: n for n in numbers if n.ok}.values())


def check_country(country: str | None) -> str | None:
    """Validate a --country value (ISO 3166 alpha-2 known to libphonenumber)."""
    if country is None:
        return None
    code = country.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        from hlrcli.errors import UsageError

        raise UsageError(f"unknown country {country!r}: use a two-letter ISO code such as DE, FR, GB, US")
    return code


def country_name(region: str | None) -> str | None:
    """The English name of an ISO region ("FR" → "France"), from libphonenumber's own table."""
    if not region:
        return None
    from phonenumbers import geocoder

    return geocoder._region_display_name(region, "en", None, None) or None
