"""Numbering data and the deterministic lookup rules shared by the three emulated providers.

Every answer is a pure function of the number, so a test can predict it without calling the emulator:
the last digit decides the connectivity, the second-to-last the porting, the third-to-last the roaming.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

CONNECTED = "CONNECTED"
ABSENT = "ABSENT"
INVALID_MSISDN = "INVALID_MSISDN"
UNDETERMINED = "UNDETERMINED"

HLR_COST = Decimal("0.0100")
MNP_COST = Decimal("0.0050")
NT_COST = Decimal("0.0050")

ROUTES: dict[str, list[str]] = {
    "HLR": ["V11", "E10", "MS9", "DV8", "SV3", "IP1"],
    "MNP": ["PTX", "IP4"],
    "NT": ["LC1"],
}
DEFAULT_ROUTE = {"HLR": "IP1", "MNP": "PTX", "NT": "LC1"}

# Copied from the seed's example: countries where only MNP is offered.
MNP_COUNTRIES = [
    "AG", "AI", "AR", "AS", "AW", "BB", "BM", "BS", "DM", "GD", "KN", "KY", "LC", "MS", "PR", "TC", "TT",
    "US", "UY", "VC", "VE", "VG", "VN",
]  # fmt: skip


@dataclass(frozen=True)
class Network:
    mnc: str
    brand: str
    operator: str


@dataclass(frozen=True)
class Region:
    prefix: str  # start of the national number
    name: str
    timezone: str | None = None


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    prefix: str  # calling code, digits only
    mcc: str
    networks: tuple[Network, ...]
    mobile_prefixes: tuple[str, ...]
    timezone: str
    regions: tuple[Region, ...] = ()
    hlr_route: str = "IP1"
    # North America cannot tell mobile from landline by the number alone.
    mobile_or_landline: bool = False

    def mccmnc(self, network: Network) -> str:
        return self.mcc + network.mnc


COUNTRIES: tuple[Country, ...] = (
    Country(
        "DE", "Germany", "49", "262",
        (
            Network("01", "Telekom", "Telekom Deutschland GmbH"),
            Network("02", "Vodafone", "Vodafone GmbH"),
            Network("03", "O2", "Telefónica Germany GmbH & Co. oHG"),
        ),
        ("15", "16", "17"), "Europe/Berlin",
        (Region("30", "Berlin"), Region("89", "Munich"), Region("40", "Hamburg"), Region("69", "Frankfurt")),
        hlr_route="V11",
    ),
    Country(
        "FR", "France", "33", "208",
        (
            Network("01", "Orange", "Orange S.A."),
            Network("10", "SFR", "Société Française du Radiotéléphone"),
            Network("15", "Free Mobile", "Free Mobile SAS"),
            Network("20", "Bouygues Telecom", "Bouygues Telecom SA"),
        ),
        ("6", "7"), "Europe/Paris",
        (Region("1", "Île-de-France"), Region("2", "Nord-Ouest"), Region("3", "Nord-Est"),
         Region("4", "Sud-Est"), Region("5", "Sud-Ouest")),
        hlr_route="E10",
    ),
    Country(
        "GB", "United Kingdom", "44", "234",
        (
            Network("10", "O2", "Telefónica UK Limited"),
            Network("15", "Vodafone", "Vodafone Limited"),
            Network("20", "Three", "Hutchison 3G UK Limited"),
            Network("30", "EE", "EE Limited"),
        ),
        ("7",), "Europe/London",
        (Region("20", "London"), Region("161", "Manchester"), Region("121", "Birmingham")),
        hlr_route="MS9",
    ),
    Country(
        "US", "United States", "1", "310",
        (
            Network("260", "T-Mobile", "T-Mobile USA, Inc."),
            Network("410", "AT&T", "AT&T Mobility LLC"),
            Network("004", "Verizon", "Verizon Wireless"),
        ),
        (), "America/New_York",
        (Region("415", "San Francisco, CA", "America/Los_Angeles"),
         Region("310", "Los Angeles, CA", "America/Los_Angeles"),
         Region("312", "Chicago, IL", "America/Chicago"), Region("212", "New York, NY")),
        hlr_route="DV8", mobile_or_landline=True,
    ),
    Country(
        "ES", "Spain", "34", "214",
        (
            Network("01", "Vodafone", "Vodafone España S.A.U."),
            Network("03", "Orange", "Orange Espagne S.A.U."),
            Network("07", "Movistar", "Telefónica Móviles España S.A.U."),
        ),
        ("6", "7"), "Europe/Madrid", (Region("91", "Madrid"), Region("93", "Barcelona")), hlr_route="V11",
    ),
    Country(
        "IT", "Italy", "39", "222",
        (
            Network("01", "TIM", "Telecom Italia S.p.A."),
            Network("10", "Vodafone", "Vodafone Italia S.p.A."),
            Network("88", "WINDTRE", "Wind Tre S.p.A."),
        ),
        ("3",), "Europe/Rome", (Region("06", "Rome"), Region("02", "Milan")), hlr_route="E10",
    ),
    Country(
        "NL", "Netherlands", "31", "204",
        (
            Network("04", "Vodafone", "Vodafone Libertel B.V."),
            Network("08", "KPN", "KPN B.V."),
            Network("16", "Odido", "Odido Netherlands B.V."),
        ),
        ("6",), "Europe/Amsterdam", (Region("20", "Amsterdam"), Region("10", "Rotterdam")), hlr_route="V11",
    ),
    Country(
        "UA", "Ukraine", "380", "255",
        (
            Network("01", "Vodafone", "PrJSC VF Ukraine"),
            Network("03", "Kyivstar", "PrJSC Kyivstar"),
            Network("06", "lifecell", "lifecell LLC"),
        ),
        ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"), "Europe/Kyiv",
        (Region("44", "Kyiv"),), hlr_route="IP1",
    ),
    Country(
        "TR", "Turkey", "90", "286",
        (
            Network("01", "Turkcell", "Turkcell Iletisim Hizmetleri A.S."),
            Network("02", "Vodafone", "Vodafone Telekomunikasyon A.S."),
            Network("03", "Turk Telekom", "Turk Telekomunikasyon A.S."),
        ),
        ("5",), "Europe/Istanbul", (Region("212", "Istanbul"), Region("312", "Ankara")), hlr_route="IP1",
    ),
)  # fmt: skip

COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}
# Longest calling code first so +380 is not taken for a +38x prefix.
_BY_PREFIX = sorted(COUNTRIES, key=lambda c: -len(c.prefix))

GENERIC_NETWORK = Network("01", "Test Network", "Test Network Operator")

_INTERNATIONAL = re.compile(r"\+(\d{8,15})")
_IDD = re.compile(r"00(\d{8,15})")


def normalize(number: object) -> str | None:
    """`+` and 8-15 digits, or `00` and 8-15 digits, as E.164 (`+digits`); None if neither."""
    if not isinstance(number, str):
        return None
    m = _INTERNATIONAL.fullmatch(number) or _IDD.fullmatch(number)
    return "+" + m.group(1) if m else None


def digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


def expected_status(number: str) -> str:
    """The connectivity status every emulated provider derives from the number's last digit."""
    d = digits(number)
    if not d:
        raise ValueError(f"not a phone number: {number!r}")
    last = int(d[-1])
    if last <= 5:
        return CONNECTED
    if last <= 7:
        return ABSENT
    return INVALID_MSISDN if last == 8 else UNDETERMINED


def expected_ported(number: str) -> bool:
    d = digits(number)
    return len(d) >= 2 and int(d[-2]) % 2 == 1


def expected_roaming(number: str) -> bool:
    d = digits(number)
    return len(d) >= 3 and d[-3] == "9"


def country_of(e164: str) -> tuple[Country, str]:
    """The country and the national significant number; an invented 'XX' country when unknown."""
    d = digits(e164)
    for country in _BY_PREFIX:
        if d.startswith(country.prefix):
            return country, d[len(country.prefix) :]
    generic = Country("XX", "Unknown", d[:2], "001", (GENERIC_NETWORK,), (), "Etc/UTC")
    return generic, d[2:]


@dataclass(frozen=True)
class NumberInfo:
    e164: str
    country: Country
    national: str
    original: Network
    current: Network  # the ported-to network when ported
    status: str
    ported: bool
    roaming: bool
    roaming_country: Country | None
    roaming_network: Network | None
    number_type: str

    @property
    def original_mccmnc(self) -> str:
        return self.country.mccmnc(self.original)

    @property
    def mccmnc(self) -> str:
        return self.country.mccmnc(self.current)

    @property
    def mobile(self) -> bool:
        return self.number_type in ("MOBILE", "MOBILE_OR_LANDLINE")

    def region(self) -> Region | None:
        for region in self.country.regions:
            if self.national.startswith(region.prefix):
                return region
        return None


def number_type(country: Country, national: str) -> str:
    if country.mobile_or_landline:
        return "MOBILE_OR_LANDLINE"
    if any(national.startswith(p) for p in country.mobile_prefixes):
        return "MOBILE"
    return "LANDLINE"


def info(e164: str) -> NumberInfo:
    country, national = country_of(e164)
    d = digits(e164)
    networks = country.networks
    index = int(d[-4]) % len(networks) if len(d) >= 4 else 0
    original = networks[index]
    ported = expected_ported(e164) and len(networks) > 1
    current = networks[(index + 1) % len(networks)] if ported else original
    roaming = expected_roaming(e164)
    roaming_country = roaming_network = None
    if roaming:
        # Roam somewhere plausible and foreign.
        roaming_country = COUNTRY_BY_CODE["FR" if country.code == "GB" else "GB"]
        roaming_network = roaming_country.networks[1]
    return NumberInfo(
        e164=e164,
        country=country,
        national=national,
        original=original,
        current=current,
        status=expected_status(e164),
        ported=expected_ported(e164),
        roaming=roaming,
        roaming_country=roaming_country,
        roaming_network=roaming_network,
        number_type=number_type(country, national),
    )


def timestamp(unix: float) -> str:
    """The providers' `2020-08-07 19:16:17.676+0000` style."""
    dt = datetime.fromtimestamp(unix, timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def month_suffix(unix: float) -> str:
    return datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m")


def format_decimal(value: Decimal, places: int = 4) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def trim_balance(value: Decimal) -> str:
    """At least two decimals, more only when a fraction of a cent is left."""
    text = format_decimal(value, 4)
    whole, frac = text.split(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"


def group_national(country: Country, national: str) -> tuple[str, str]:
    """(international, national) display forms; plausibility only, not libphonenumber's rules."""
    if country.code == "FR" and len(national) == 9:
        rest = " ".join(national[i : i + 2] for i in range(1, 9, 2))
        return f"+33 {national[0]} {rest}", f"0{national[0]} {rest}"
    if country.code == "US" and len(national) == 10:
        return (
            f"+1 {national[:3]}-{national[3:6]}-{national[6:]}",
            f"({national[:3]}) {national[3:6]}-{national[6:]}",
        )
    split = 4 if len(national) > 8 else 3
    head, tail = national[:split], national[split:]
    trunk = "" if country.code == "IT" else "0"
    return f"+{country.prefix} {head} {tail}", f"{trunk}{head} {tail}"
