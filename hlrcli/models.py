"""Typed results. Field names are the providers' documented names; every record also says its provider.

Records become dicts only at the output edge (`hlrcli.output`). `TABLE` names the columns worth a terminal
table when many records are shown; a single record is shown whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

CONNECTED, ABSENT, INVALID_MSISDN, UNDETERMINED, PENDING = (
    "CONNECTED",
    "ABSENT",
    "INVALID_MSISDN",
    "UNDETERMINED",
    "PENDING",
)


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def build(cls: type[T], data: Mapping[str, Any], **extra: Any) -> T:
    """Make a record from a provider's JSON object: known fields kept (strings trimmed), the rest ignored."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    kwargs = {k: _clean(v) for k, v in data.items() if k in names}
    kwargs.update(extra)
    return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class HlrResult:
    msisdn: str
    id: str | None = None
    connectivity_status: str | None = None
    mccmnc: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    imsi: str | None = None
    msin: str | None = None
    msc: str | None = None
    original_network_name: str | None = None
    original_country_name: str | None = None
    original_country_code: str | None = None
    original_country_prefix: str | None = None
    is_ported: bool | None = None
    ported_network_name: str | None = None
    ported_country_name: str | None = None
    ported_country_code: str | None = None
    ported_country_prefix: str | None = None
    is_roaming: bool | None = None
    roaming_network_name: str | None = None
    roaming_country_name: str | None = None
    roaming_country_code: str | None = None
    roaming_country_prefix: str | None = None
    cost: str | None = None
    timestamp: str | None = None
    storage: str | None = None
    route: str | None = None
    processing_status: str | None = None
    error_code: str | int | None = None
    error_description: str | None = None
    data_source: str | None = None
    routing_instruction: str | None = None
    reference: str | None = None  # affiliate: our idempotency key
    raw_status: str | None = None  # smspartner/affiliate: the provider's own status before mapping
    raw_network: str | None = None  # affiliate: a `network` that is not an MCC+MNC (e.g. "unknown"), as sent
    provider: str = ""
    error: str | None = None

    # `network` (a terminal table's own column): the network the number is on now, a ported number's new one.
    TABLE: ClassVar[tuple[str, ...]] = (
        "msisdn",
        "connectivity_status",
        "network",
        "is_ported",
        "is_roaming",
        "cost",
        "error",
    )


@dataclass(frozen=True, slots=True)
class MnpResult:
    msisdn: str
    id: str | None = None
    query_status: str | None = None
    mccmnc: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    is_ported: bool | None = None
    original_network_name: str | None = None
    original_country_name: str | None = None
    original_country_code: str | None = None
    original_country_prefix: str | None = None
    ported_network_name: str | None = None
    ported_country_name: str | None = None
    ported_country_code: str | None = None
    ported_country_prefix: str | None = None
    extra: str | None = None
    cost: str | None = None
    timestamp: str | None = None
    storage: str | None = None
    route: str | None = None
    error_code: str | int | None = None
    provider: str = ""
    error: str | None = None

    TABLE: ClassVar[tuple[str, ...]] = (
        "msisdn",
        "query_status",
        "original_network_name",
        "is_ported",
        "ported_network_name",
        "cost",
        "error",
    )


@dataclass(frozen=True, slots=True)
class NtResult:
    msisdn: str
    id: str | None = None
    number_type: str | None = None
    query_status: str | None = None
    is_valid: bool | None = None
    invalid_reason: str | None = None
    is_possibly_ported: bool | None = None
    is_vanity_number: bool | None = None
    qualifies_for_hlr_lookup: bool | None = None
    mccmnc: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    original_network_name: str | None = None
    original_country_name: str | None = None
    original_country_code: str | None = None
    regions: tuple[str, ...] | None = None
    timezones: tuple[str, ...] | None = None
    info_text: str | None = None
    cost: str | None = None
    timestamp: str | None = None
    storage: str | None = None
    route: str | None = None
    provider: str = ""
    error: str | None = None

    TABLE: ClassVar[tuple[str, ...]] = (
        "msisdn",
        "number_type",
        "is_valid",
        "invalid_reason",
        "original_network_name",
        "original_country_code",
        "regions",
        "cost",
        "error",
    )


@dataclass(frozen=True, slots=True)
class Validation:
    msisdn: str  # as written
    valid: bool | None = None
    reason: str | None = None
    type: str | None = None
    country: str | None = None
    e164: str | None = None
    international: str | None = None
    national: str | None = None
    network: str | None = None
    provider: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """An accepted asynchronous HLR request (smspartner): results arrive later at notifyUrl."""

    campaign_id: str | None
    numbers: tuple[str, ...]
    count: int | None = None
    cost: float | str | None = None
    currency: str | None = None
    notify_url: str | None = None
    provider: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """One number handed to an asynchronous endpoint (affiliate, hlrlookups bulk)."""

    msisdn: str
    state: str  # SUBMITTED | ALREADY_SUBMITTED | REJECTED
    id: str | None = None
    reference: str | None = None
    cost: str | None = None
    currency: str | None = None
    provider: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Balance:
    balance: str | None
    currency: str | None = "EUR"
    credit_hlr: str | None = None
    credit_sms: str | None = None
    credit_sms_eco: str | None = None
    to_send: str | None = None
    provider: str = ""


@dataclass(frozen=True, slots=True)
class RentalStatus:
    token: str
    status_code: int | None
    status: str | None
    meaning: str | None
    category: str | None = None
    interest: str | None = None
    sexe: str | None = None
    min_age: str | None = None
    max_age: str | None = None
    zipcode: str | None = None
    locations: tuple[str, ...] | None = None
    volume_desired: int | None = None
    volume: int | None = None
    quantity: str | None = None
    cost_unity: str | None = None
    cost_total: str | None = None
    file: str | None = None
    provider: str = ""


@dataclass(frozen=True, slots=True)
class RouteAdvice:
    msisdn: str
    route: str | None = None
    confidence_level: str | None = None
    mccmnc: str | None = None
    origin: str | None = None
    provider: str = ""


@dataclass(frozen=True, slots=True)
class RouteEntry:
    route_type: str
    route: str
    provider: str = ""


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """One line of the routing map; `scope` says which part of the map it came from."""

    scope: str  # default | mnpFallback | mccmnc | prefix | country
    route: str | None
    countrycode: str | None = None
    mccmnc: str | None = None
    cns: str | None = None
    mno: str | None = None
    confidence: str | None = None
    origin: str | None = None
    provider: str = ""


@dataclass(frozen=True, slots=True)
class CoverageRoute:
    countrycode: str | None
    name: str | None
    prefix: str | None
    mno: str | None
    mccmnc: str | None
    mcc: str | None
    mnc: str | None
    route: str | None = None
    selected: bool | None = None
    selection_confidence: str | None = None
    n: int | None = None
    CONNECTED: int | None = None
    CONNECTED_PCT: float | None = None
    ABSENT: int | None = None
    ABSENT_PCT: float | None = None
    INVALID_MSISDN: int | None = None
    INVALID_MSISDN_PCT: float | None = None
    UNDETERMINED: int | None = None
    UNDETERMINED_PCT: float | None = None
    provider: str = ""

    TABLE: ClassVar[tuple[str, ...]] = (
        "mno",
        "mccmnc",
        "route",
        "selected",
        "n",
        "CONNECTED_PCT",
        "ABSENT_PCT",
        "INVALID_MSISDN_PCT",
        "UNDETERMINED_PCT",
    )


@dataclass(frozen=True, slots=True)
class Network:
    country_name: str | None
    country_code: str | None
    mccmnc: str | None
    mcc: str | None = None
    mnc: str | None = None
    brand: str | None = None
    operator: str | None = None
    parent_mccmnc: str | None = None
    provider: str = ""


@dataclass(frozen=True, slots=True)
class Country:
    countrycode: str
    provider: str = ""


@dataclass(frozen=True, slots=True)
class Price:
    msisdn: str
    route_type: str
    amount: str | None
    route: str | None = None
    currency: str = "EUR"
    provider: str = ""


@dataclass(frozen=True, slots=True)
class PriceRow:
    """A line of a price list (hlrlookups /price-list, affiliate /hlr/prices)."""

    route_type: str | None
    price: str | None
    countrycode: str | None = None
    countryname: str | None = None
    route: str | None = None
    mccmnc: str | None = None
    mcc: str | None = None
    cns: str | None = None
    currency: str | None = "EUR"
    provider: str = ""


@dataclass(frozen=True, slots=True)
class Check:
    """A line of `hlrcli doctor`."""

    provider: str
    check: str
    status: str  # ok | fail | skip | warn
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Capability:
    """A line of the `hlrcli providers` matrix."""

    command: str
    hlrlookups: str
    smspartner: str
    affiliate: str
    offline: str


@dataclass(frozen=True)
class CallbackResult:
    """One result out of a webhook or callback body, with what the job store needs to file it."""

    provider: str
    result_key: str  # idempotency key: the same delivery twice is stored once
    kind: str  # hlr | mnp | nt
    number: str | None  # E.164 when the provider's number could be read as one
    result: dict[str, Any]
    match: dict[str, str | None] = field(default_factory=dict)  # {"sub_id": …} / {"reference": …} / {"number": …}
    final: bool = True  # False: an interim status (affiliate "sent"), acknowledged, not stored
