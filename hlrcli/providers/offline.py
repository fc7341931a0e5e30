"""Offline checks with Google's libphonenumber: validity, number type, carrier of origin, region, time zones.

No network and no account; nothing is charged. What it cannot know: whether a number is live, or ported.

libphonenumber's geocoder, carrier and time-zone modules import their whole prefix tables on import (the
geocoder alone: about 0.4 s and 100 MiB), while one number needs a few entries of each. So the tables here are
read from the same generated data files as lookups need them: a line at a time for the first lookups, then a
file at a time (see PrefixTable). The lookups take the region and type already worked out by hlrcli.numbers
instead of each recomputing them as libphonenumber's `*_for_number` functions do. What they return is what
those return (tests/test_offline_exact.py).
"""

from __future__ import annotations

import bisect
import importlib
import importlib.util
import itertools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from hlrcli.models import NtResult, Validation
from hlrcli.numbers import Number, check, e164_of, region_and_type, regions_of, type_under
from hlrcli.providers.base import Provider

NUMBER_TYPES = {
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
HLR_TYPES = frozenset({"MOBILE", "MOBILE_OR_LANDLINE"})
# The types libphonenumber keeps carrier data for (as phonenumbers.carrier does).
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER})
UNKNOWN = PhoneNumberType.UNKNOWN
UNKNOWN_ZONE = "Etc/Unknown"
T = TypeVar("T")
HEAD = 3  # a number's first digits, for which PrefixTable.span is worked out


# libphonenumber's prefix tables, read by the line or loaded by the file --------------------------------------------
def _entry(text: str, needle: str) -> Any | None:
    """The value on the line starting with `needle` ("\\n 'KEY':") of a generated data file; None if absent.

    The line holds a Python literal, in which non-ASCII text may be wrapped in phonenumbers.util.u(): evaluated
    with that function and nothing else, as importing the file would (it is the package's own data).
    """
    at = text.find(needle)
    if at < 0:
        return None
    start = at + len(needle)
    end = text.find("\n", start)
    source = text[start : end if end >= 0 else len(text)].strip().rstrip(",")
    return eval(source, {"__builtins__": {}, "u": _u})


def _u(text: str) -> str:
    from phonenumbers.util import u

    return u(text)


class PrefixTable:
    """`{prefix: value}` of one of phonenumbers' data packages (geodata, carrierdata, tzdata), read lazily.

    Each package's `__init__` merges its generated files `dataN.py` into one dict; each file holds a run of the
    table's keys in sorted order, the runs one after another (libphonenumber's buildprefixdata splits the
    sorted table by size). So the file a key lives in is found from each file's first and last key, read from
    the file's text. The first lookups (one number: a command line) find the key's line in that text and
    evaluate it; after TEXT_LOOKUPS of them (a batch) the files are imported, and only those that numbers'
    first digits need. Whatever does not look like that layout (another phonenumbers release, keys out of
    order) makes the table import the package whole, as libphonenumber does.
    """

    _KEY = re.compile(r"^ '(\d+)':", re.MULTILINE)
    _PART = re.compile(r"^from \.(data\d+) import data$", re.MULTILINE)
    TEXT_LOOKUPS = 64

    def __init__(self, package: str, name: str) -> None:
        self.package, self.name = package, name  # e.g. "geodata", "GEOCODE" (GEOCODE_DATA, GEOCODE_LONGEST_PREFIX)
        self._longest = 0
        self.data: dict[str, Any] = {}
        self._firsts: list[str] = []
        self._lasts: list[str] = []
        self._paths: list[Path] = []
        self._loaded: list[bool] = []
        self._texts: dict[int, str] = {}
        self._lookups = 0  # by the text, so far
        self._heads: set[str] = set()  # first digits of numbers whose files are loaded
        self._keys: dict[int, list[str]] = {}  # sorted keys of each loaded file
        self._spans: dict[str, int] = {}
        self._whole = False
        self._ready = False
        self._all = False

    def _index(self) -> None:
        self._ready = True
        try:
            folder = Path(phonenumbers.__file__).parent / self.package
            init = (folder / "__init__.py").read_text(encoding="utf-8")
            longest = re.search(rf"^{self.name}_LONGEST_PREFIX = (\d+)$", init, re.MULTILINE)
            parts = self._PART.findall(init)
            if longest is None or not parts:
                raise ValueError("unexpected layout")
            for part in parts:
                path = folder / f"{part}.py"
                with open(path, "rb") as fh:
                    head = fh.read(8192).decode("utf-8", "replace")
                    fh.seek(max(0, path.stat().st_size - 8192))
                    tail = fh.read().decode("utf-8", "replace")
                first, last = self._KEY.search(head), self._KEY.findall(tail)
                if first is None or not last:
                    raise ValueError(f"no keys found in {path}")
                self._firsts.append(first.group(1))
                self._lasts.append(last[-1])
                self._paths.append(path)
            runs = list(zip(self._firsts, self._lasts, strict=True))
            if any(a > b for a, b in runs) or any(b >= c for (_, b), (c, _) in itertools.pairwise(runs)):
                raise ValueError("files not in key order")
            self._longest = int(longest.group(1))
            self._loaded = [False] * len(parts)
        except (OSError, ValueError):
            self._load_whole()

    def _load_whole(self) -> None:
        module = importlib.import_module(f"phonenumbers.{self.package}")
        self.data = getattr(module, f"{self.name}_DATA")
        self._longest = getattr(module, f"{self.name}_LONGEST_PREFIX")
        self._whole = self._ready = True

    def _load(self, index: int) -> None:
        path = self._paths[index]
        # Named as inside the package so its `from ..util import u` resolves, but not registered in
        # sys.modules: importing it properly later (phonenumbers.geocoder) stays unaffected.
        spec = importlib.util.spec_from_file_location(f"phonenumbers.{self.package}.{path.stem}", path)
        if spec is None or spec.loader is None:  # pragma: no cover - a file vanished since _index
            self._load_whole()
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        part: dict[str, Any] = module.data
        if part and (min(part) != self._firsts[index] or max(part) != self._lasts[index]):
            self._load_whole()  # the keys are not where the index says: trust nothing but the whole table
            return
        self.data.update(part)
        self._keys[index] = sorted(part)
        self._loaded[index] = True
        self._texts.pop(index, None)

    @property
    def longest(self) -> int:
        """The length of the longest key (…_LONGEST_PREFIX)."""
        if not self._ready:
            self._index()
        return self._longest

    def value(self, key: str) -> Any | None:
        """table[key], or None."""
        if not self._ready:
            self._index()
            if self._whole:
                return self.data.get(key)
        index = bisect.bisect_right(self._firsts, key) - 1
        if index < 0 or key > self._lasts[index]:
            return None
        if not self._loaded[index]:
            if self._lookups < self.TEXT_LOOKUPS:
                self._lookups += 1
                text = self._texts.get(index)
                if text is None:
                    text = self._texts[index] = "\n" + self._paths[index].read_text(encoding="utf-8")
                try:
                    return _entry(text, f"\n '{key}':")
                except (SyntaxError, NameError, TypeError, ValueError):
                    pass  # a line not as expected: the file, imported, knows
            self._load(index)
        return self.data.get(key)

    def prepare(self, digits: str) -> dict[str, Any]:
        """The table, with every file loaded that could hold a prefix of `digits` (E.164 without the +)."""
        if digits[:HEAD] not in self._heads:
            self._prepare_head(digits[:HEAD])
        return self.data

    def _prepare_head(self, head: str) -> None:
        if not self._ready:
            self._index()
        if not self._whole:
            # A number's prefixes are its first digits up to HEAD, then keys beginning with its first HEAD digits:
            # those sort between `head` and `head + "~"` ("~" sorts after every digit).
            for lo, hi in [(head[:n], head[:n]) for n in range(1, len(head))] + [(head, head + "~")]:
                start = max(0, bisect.bisect_right(self._firsts, lo) - 1)
                for index in range(start, bisect.bisect_right(self._firsts, hi)):
                    if not self._whole and not self._loaded[index] and self._lasts[index] >= lo:
                        self._load(index)
        self._heads.add(head)

    def span(self, head: str) -> int:
        """How many leading digits decide describe() for every number starting with `head` (HEAD digits).

        Its answer is the longest key that prefixes the number, and no key starting with `head` is longer than
        this: numbers agreeing on that many digits get the same answer, which can then be kept for all of them.
        """
        found = self._spans.get(head)
        if found is None:
            self.prepare(head)
            found = len(head)
            if self._whole:
                found = max(found, self.longest)
            else:
                end = head + "~"
                for keys in self._keys.values():
                    low, high = bisect.bisect_left(keys, head), bisect.bisect_left(keys, end)
                    if high > low:
                        found = max(found, *map(len, keys[low:high]))
            self._spans[head] = found
        return found

    def load_all(self) -> dict[str, Any]:
        """The whole table (what the module-level dict of phonenumbers holds)."""
        if not self._all:
            if not self._ready:
                self._index()
            for index, loaded in enumerate(self._loaded):
                if not loaded and not self._whole:
                    self._load(index)
            self._all = True
        return self.data

    def reader(self, digits: str) -> Callable[[str], Any | None]:
        """A lookup for keys that prefix `digits`: the dict's own where their files are all loaded."""
        if self._whole or digits[:HEAD] in self._heads:
            return self.data.get
        return self.value

    def describe(self, digits: str, region: str | None = None) -> str:
        """As phonenumbers.prefix._prefix_description_for_number(table, …, "en", None, region): the name of
        the longest prefix of `digits` that has one in English."""
        local = f"en_{region}" if region else None
        get = self.reader(digits)
        for length in range(self.longest, 0, -1):
            entry = get(digits[:length])
            if entry is not None:
                # prefix._find_lang for "en": "en_<region>" if given and present, else "en", else a shorter prefix.
                name = entry.get(local) if local else None
                if name is None:
                    name = entry.get("en")
                if name is not None:
                    return name
        return ""


GEOCODE = PrefixTable("geodata", "GEOCODE")
CARRIER = PrefixTable("carrierdata", "CARRIER")
TIMEZONE = PrefixTable("tzdata", "TIMEZONE")
_LOCALE = Path(phonenumbers.__file__).parent / "geodata" / "locale.py"
_locale_text: str | None = None
_names: dict[str, str] = {}


def _region_name(region: str | None) -> str:
    """As geocoder._region_display_name(region, "en"), from the region's line of geodata/locale.py.

    (Importing phonenumbers.geodata.locale would import the whole geodata package first.)
    """
    global _locale_text
    key = region or ""
    name = _names.get(key)
    if name is None:
        if _locale_text is None:
            _locale_text = "\n" + _LOCALE.read_text(encoding="utf-8")
        try:
            names = _entry(_locale_text, f"\n  '{key}':") if key.isalnum() else None
        except (SyntaxError, NameError, TypeError, ValueError):
            from phonenumbers.geodata.locale import LOCALE_DATA

            names = LOCALE_DATA.get(key)
        name = ""
        if names is not None:
            name = names.get("en", "")
            if name.startswith("*"):
                name = names.get(name[1:], "")
        _names[key] = name
    return name


def country_name(pn: PhoneNumber, region: str | None, kind: int) -> str:
    """As geocoder.country_name_for_number(pn, "en"); (region, kind) is what region_and_type(pn) returned.

    Where a country code has several regions, the name is that of the one region the number is valid in (none
    if valid in two or in none). The search that found `region` already tested some regions: not again here.
    """
    regions = regions_of(pn.country_code or 0)
    if len(regions) == 1:
        return _region_name(regions[0].code)
    nsn = phonenumbers.national_significant_number(pn)
    size = len(nsn)
    found: str | None = None
    # Until it stopped at `region` (or to the end, if None) the search found the number invalid in each region
    # it tested by type: those without leading digits.
    before = True
    for code, leading, plan, searched in regions:
        if code == region:
            before = False
            valid = kind != UNKNOWN
        elif plan is None or (before and searched and leading is None):
            continue
        else:
            # Most regions fail on their general pattern: tested here first, without a call (+1 has 25 regions).
            lengths, pattern = plan.general
            if (lengths is not None and size not in lengths) or pattern is None or not pattern.fullmatch(nsn):
                continue
            valid = type_under(nsn, plan) != UNKNOWN
        if valid:
            if found is not None:
                return ""
            found = code
    return _region_name(found or "ZZ")


def description(pn: PhoneNumber, e164: str, name: str) -> str:
    """As geocoder.description_for_valid_number(pn, "en"); `name` is country_name(pn, …)."""
    token = phonenumbers.country_mobile_token(pn.country_code or 0)
    digits, region = e164[1:], None
    if token:
        nsn = phonenumbers.national_significant_number(pn)
        if nsn.startswith(token):
            # Mobile numbers carry a token (Argentina's 9) that the area prefixes are stored without.
            region = phonenumbers.region_code_for_country_code(pn.country_code or 0)
            try:
                copied = phonenumbers.parse(nsn[len(token) :], region)
            except phonenumbers.NumberParseException:
                copied = pn
            digits = phonenumbers.format_number(copied, PhoneNumberFormat.E164)[1:]
            return GEOCODE.describe(digits, region) or name
    return GEOCODE.describe(digits) or name


def time_zones(pn: PhoneNumber, e164: str, geographical: bool) -> tuple[str, ...]:
    """As timezone.time_zones_for_geographical_number(pn), or its country-level fallback for other numbers."""
    get = TIMEZONE.reader(e164[1:])  # the country code's digits prefix the number's too
    if geographical:
        digits = e164[1:]
        for length in range(TIMEZONE.longest, 0, -1):
            zones = get(digits[:length])
            if zones is not None:
                return zones
        return (UNKNOWN_ZONE,)
    code = str(pn.country_code or 0)
    for length in range(TIMEZONE.longest, 0, -1):
        # timezone._country_level_time_zones_for_number slices one digit more than the length: kept as is.
        zones = get(code[: 1 + length])
        if zones is not None:
            return zones
    return (UNKNOWN_ZONE,)


# The NT answer ------------------------------------------------------------------------------------------------
# nt_values() returns the fields the offline provider fills, in this order; the rest of NtResult stays empty.
NT_FIELDS = (
    "msisdn",
    "number_type",
    "is_valid",
    "invalid_reason",
    "qualifies_for_hlr_lookup",
    "original_network_name",
    "original_country_name",
    "original_country_code",
    "regions",
    "timezones",
)
NT_CONSTANTS: dict[str, Any] = {"query_status": "OK", "cost": "0", "provider": "offline"}


def nt_values(number: Number) -> tuple[Any, ...]:
    """The NT answer for one number as a tuple of NT_FIELDS: no record built, cheap to send between processes."""
    return _nt(number.raw, number.parsed, number.error, number.region, number.type, number.e164)


def _nt(
    raw: str,
    pn: PhoneNumber | None,
    error: str | None,
    region: str | None,
    kind: int | None,
    e164: str | None,
    name: str | None = None,
) -> tuple[Any, ...]:
    if pn is None:
        return (raw, "UNKNOWN", False, error, False, None, None, None, None, None)
    valid = error is None
    if not valid or kind is None:  # not worked out (an unusable number, or a Number built by hand)
        region, kind = region_and_type(pn)
    if name is None:
        name = country_name(pn, region, kind)
    if not valid:
        kind = UNKNOWN  # an unusable number has no type, whatever its pattern says
    regions: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    network = None
    if kind != UNKNOWN:
        e164 = e164 or phonenumbers.format_number(pn, PhoneNumberFormat.E164)
        geographical = phonenumbers.is_number_type_geographical(kind, pn.country_code or 0)
        place = description(pn, e164, name) if geographical else name
        regions = (place,) if place else ()
        zones = time_zones(pn, e164, geographical)
        if UNKNOWN_ZONE in zones:
            zones = tuple(z for z in zones if z != UNKNOWN_ZONE)
        if kind in MOBILE_TYPES:
            network = CARRIER.describe(e164[1:]) or None
    label = NUMBER_TYPES.get(kind, "UNKNOWN")
    return (
        e164 or raw,
        label,
        valid,
        error,
        valid and label in HLR_TYPES,
        network,
        name or None,
        region if region and region != "ZZ" else None,
        regions,
        zones,
    )


class NtAnswers(Generic[T]):
    """NT answers for the cells of a batch, each worked out once, as `(valid, number, render(the rest))`.

    The rest of an answer (type, country, place, time zones, carrier…) repeats from number to number: it is
    rendered once per distinct rest. For a valid number it is found without looking anything up when a number
    sharing what decides it was seen before: its type and region, the country name where a country code has
    several regions, and the leading digits that decide the place, time zones and carrier, as many as the prefix
    tables hold for the number's first digits (PrefixTable.span). Repeated cells are answered from memory.
    Memory is bounded: each store is emptied when full.
    """

    def __init__(self, country: str | None, render: Callable[[tuple[Any, ...]], T], size: int = 1 << 15) -> None:
        self.country, self.render, self.size = country, render, size
        self._cells: dict[str, tuple[bool, str, T]] = {}
        self._rendered: dict[tuple[Any, ...], T] = {}  # by the rest's values
        self._prefixes: dict[tuple[Any, ...], T] = {}  # by what decides a valid number's rest
        self._heads: dict[tuple[int, str], tuple[int, bool] | None] = {}  # (type, first digits) → see _head

    def __call__(self, raw: str) -> tuple[bool, str, T]:
        answer = self._cells.get(raw)
        if answer is None:
            answer = self._answer(raw)
            if len(self._cells) >= self.size:
                self._cells.clear()
            self._cells[raw] = answer
        return answer

    def _answer(self, raw: str) -> tuple[bool, str, T]:
        pn, error, region, kind = check(raw, self.country)
        if pn is None or error is not None:
            values = _nt(raw, pn, error, region, kind, None)
            return False, values[0], self._render(values[1:])
        e164 = e164_of(pn)
        digits = e164[1:]
        head = digits[:HEAD]
        if (kind, head) in self._heads:
            known = self._heads[(kind, head)]
        else:
            known = self._heads[(kind, head)] = self._head(pn, kind, head)
        if known is None:
            return True, e164, self._render(_nt(raw, pn, None, region, kind, e164)[1:])
        decided, several = known
        name = country_name(pn, region, kind) if several else None
        key = (kind, region, name, digits[:decided])
        rest = self._prefixes.get(key)
        if rest is None:
            rest = self._render(_nt(raw, pn, None, region, kind, e164, name)[1:])
            if len(self._prefixes) >= self.size:
                self._prefixes.clear()
            self._prefixes[key] = rest
        return True, e164, rest

    @staticmethod
    def _head(pn: PhoneNumber, kind: int, head: str) -> tuple[int, bool] | None:
        """For valid numbers of this type starting with `head`: how many leading digits decide the lookups in
        prefix tables, and whether the country name needs the whole number; None: no sharing (Argentina's
        mobiles are looked up under other digits, see description())."""
        code = pn.country_code or 0  # `head` holds the whole country code (three digits at most)
        if phonenumbers.country_mobile_token(code):
            return None
        decided = len(head)
        if phonenumbers.is_number_type_geographical(kind, code):
            decided = max(decided, GEOCODE.span(head), TIMEZONE.span(head))
        if kind in MOBILE_TYPES:
            decided = max(decided, CARRIER.span(head))
        return decided, len(regions_of(code)) > 1

    def _render(self, rest: tuple[Any, ...]) -> T:
        rendered = self._rendered.get(rest)
        if rendered is None:
            if len(self._rendered) >= self.size:
                self._rendered.clear()
            rendered = self._rendered[rest] = self.render(rest)
        return rendered


class Offline(Provider):
    name = "offline"
    title = "libphonenumber (no network)"
    billed = False

    def nt(self, number: Number, *, replays: int = 1, **opts: Any) -> NtResult:
        values = dict(zip(NT_FIELDS, nt_values(number), strict=True))
        return NtResult(**values, **NT_CONSTANTS)

    def validate(self, numbers: Sequence[Number]) -> list[Validation]:
        return [self.validate_one(n) for n in numbers]

    def validate_one(self, number: Number) -> Validation:
        pn = number.parsed
        if pn is None or number.error:
            return Validation(msisdn=number.raw, valid=False, reason=number.error, provider=self.name)
        region, kind = number.region, number.type
        if kind is None:
            region, kind = region_and_type(pn)
        network = CARRIER.describe(number.e164[1:]) if number.e164 and kind in MOBILE_TYPES else ""
        return Validation(
            msisdn=number.raw,
            valid=True,
            type=NUMBER_TYPES.get(kind, "UNKNOWN"),
            country=region,
            e164=number.e164,
            international=phonenumbers.format_number(pn, PhoneNumberFormat.INTERNATIONAL),
            national=phonenumbers.format_number(pn, PhoneNumberFormat.NATIONAL),
            network=network or None,
            provider=self.name,
        )
