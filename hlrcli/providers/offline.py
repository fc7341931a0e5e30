"""Offline checks with Google's libphonenumber: validity, number type, carrier of origin, region, time zones.

No network and no account; nothing is charged. What it cannot know: whether a number is live, or ported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, carrier, geocoder, timezone

from hlrcli.models import NtResult, Validation
from hlrcli.numbers import Number
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
# Country-wide zones for non-geographic numbers (mobiles): a private helper, so fall back to the public path.
_country_zones = getattr(timezone, "_country_level_time_zones_for_number", timezone.time_zones_for_number)


class Offline(Provider):
    name = "offline"
    title = "libphonenumber (no network)"
    billed = False

    def nt(self, number: Number, *, replays: int = 1, **opts: Any) -> NtResult:
        pn = number.parsed
        if pn is None:
            return NtResult(
                msisdn=number.raw,
                number_type="UNKNOWN",
                query_status="OK",
                is_valid=False,
                invalid_reason=number.error,
                qualifies_for_hlr_lookup=False,
                cost="0",
                provider=self.name,
            )
        valid = number.error is None
        ptype = phonenumbers.number_type(pn) if valid else PhoneNumberType.UNKNOWN
        kind = NUMBER_TYPES.get(ptype, "UNKNOWN")
        region = number.region or phonenumbers.region_code_for_number(pn)
        country_name = geocoder.country_name_for_number(pn, "en") or None
        description, zones, network = "", (), None
        if ptype != PhoneNumberType.UNKNOWN:
            # The *_for_number helpers each recompute the number type (the costliest step); it is known here.
            if phonenumbers.is_number_type_geographical(ptype, pn.country_code):
                description = geocoder.description_for_valid_number(pn, "en")
                zones = timezone.time_zones_for_geographical_number(pn)
            else:
                description = country_name or ""
                zones = _country_zones(pn)
            if ptype in MOBILE_TYPES:
                network = carrier.name_for_valid_number(pn, "en") or None
        return NtResult(
            msisdn=number.e164 or number.raw,
            number_type=kind,
            query_status="OK",
            is_valid=valid,
            invalid_reason=number.error,
            qualifies_for_hlr_lookup=valid and kind in HLR_TYPES,
            original_network_name=network,
            original_country_name=country_name,
            original_country_code=region if region and region != "ZZ" else None,
            regions=(description,) if description else (),
            timezones=tuple(z for z in zones if z != "Etc/Unknown"),
            cost="0",
            provider=self.name,
        )

    def validate(self, numbers: Sequence[Number]) -> list[Validation]:
        return [self.validate_one(n) for n in numbers]

    def validate_one(self, number: Number) -> Validation:
        pn = number.parsed
        if pn is None or number.error:
            return Validation(msisdn=number.raw, valid=False, reason=number.error, provider=self.name)
        return Validation(
            msisdn=number.raw,
            valid=True,
            type=NUMBER_TYPES.get(phonenumbers.number_type(pn), "UNKNOWN"),
            country=phonenumbers.region_code_for_number(pn),
            e164=number.e164,
            international=phonenumbers.format_number(pn, PhoneNumberFormat.INTERNATIONAL),
            national=phonenumbers.format_number(pn, PhoneNumberFormat.NATIONAL),
            network=carrier.name_for_number(pn, "en") or None,
            provider=self.name,
        )
