"""Parse and normalise phone numbers with libphonenumber, keeping the reason a number is unusable."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, ValidationResult

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


@dataclass(frozen=True, slots=True)
class Number:
    """One number as the user wrote it, and what we made of it."""

    raw: str
    e164: str | None = None
    region: str | None = None
    error: str | None = None
    parsed: PhoneNumber | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None


def _parse_once(text: str, region: str | None) -> tuple[PhoneNumber | None, str | None]:
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


def parse(raw: str, country: str | None = None) -> tuple[PhoneNumber | None, str | None]:
    """Return the parsed number and None, or whatever could be parsed and the reason it is unusable."""
    text = _JUNK.sub("", raw.strip())
    if not text:
        return None, "empty"
    if text.lower().startswith("tel:"):
        text = text[4:]
    if text.startswith("00"):
        text = "+" + text[2:]
    region = country.upper() if country else None
    pn, reason = _parse_once(text, region)
    # Many exports store international numbers as bare digits ("33612345678"): try that reading before failing.
    if reason and text.isdigit() and len(text) >= 8:
        alt, alt_reason = _parse_once("+" + text, None)
        if alt_reason is None:
            return alt, None
    return pn, reason


def normalise(raw: str, country: str | None = None) -> Number:
    pn, reason = parse(raw, country)
    if reason or pn is None:
        return Number(raw=raw, error=reason or "not a number", parsed=pn)
    return Number(
        raw=raw,
        e164=phonenumbers.format_number(pn, PhoneNumberFormat.E164),
        region=phonenumbers.region_code_for_number(pn),
        parsed=pn,
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
