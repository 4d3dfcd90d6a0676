"""Phone numbers as people write them, read into the one form the Do-Not-Call list compares: E.164.

A DNC entry that is stored as typed protects nobody: ``+49 501 0000 0006`` never equals the contact
``+4950100000006``. Entries are stored canonical, and a contact's number is read the same way before
it is compared. This module is pure (no settings, no database): the caller passes ``DEFAULT_REGION``.

How a written number is read
----------------------------
1. Only digits and what people put between them are accepted: spaces, ``-``, ``.``, ``/``, parentheses,
   and one ``+`` in front. Letters are refused (phonenumbers would read ``1-800-FLOWERS`` as digits,
   ``ext. 12`` as an extension, and ``call me maybe`` is no number at all).
2. With ``+`` in front, the digits begin with the country code: ``+49 (0)501 0000 0006`` is
   ``+4950100000006`` (phonenumbers drops the national trunk prefix written after the code).
3. A leading ``00`` is an international prefix too, in every region, and so is ``DEFAULT_REGION``'s own
   (``011`` in the US, ``0011`` in Australia): ``0049-501-0000-0006`` is ``+4950100000006``.
4. Any other number is national, in ``DEFAULT_REGION``: ``(0501) 0000 0006`` with ``DE`` is
   ``+4950100000006``. With no ``DEFAULT_REGION`` (the default) a national number is refused, with a
   message naming the setting: the dialer cannot know which country it belongs to.
5. One exception to 4: in a region whose national numbers are always written with their trunk prefix
   (phonenumbers' metadata: a national prefix that none of the region's formats may leave out — ``0`` in
   DE, GB, FR, AT, CH, NL…), digits that start with the region's country code instead are E.164 written
   without its ``+``. A German operator who types ``4950100000005`` means ``+49 501 0000 0005``; a German
   national number is written ``0…``, and phonenumbers' own reading (``04950 100000005``) is a number
   nobody meant. When that international reading is no possible number, the national one is taken.
   Where the trunk prefix is commonly left out (US, IN, CN, AR, RU…) rule 4 holds as phonenumbers reads it.
6. The result must be a possible number for its country (``phonenumbers.is_possible_number``: the
   length fits), not a *valid* one: test ranges (``+49 501…``) and ranges allocated after the installed
   metadata must still be listable, and a DNC list errs on the side of protecting. A length possible only
   locally (a number without its area code: ``12`` in DE) is refused, since it names no subscriber.

A contact's ``customer_number`` (digits with an optional ``+``) is read by the same rules, with one
addition (``possible_readings``): digits without ``+`` reach the switch as they are, and a trunk may dial
them as a national number or as E.164 without its ``+``, so both readings are compared, and a contact is
suppressed when either is on the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat, ValidationResult

# DEFAULT_REGION: an ISO 3166 region phonenumbers has metadata for (settings read it with this pattern).
REGION_PATTERN: Final = "|".join(sorted(phonenumbers.SUPPORTED_REGIONS))

# Digits, the separators people type (unicode dashes and spaces from pasted text too), and a leading '+'.
_WRITTEN: Final = re.compile(r"\(?\+?[0-9\s().\-/\u2010-\u2015\u2212]*")
_NOT_DIGIT: Final = re.compile(r"[^0-9]")
# Messages quote what was written, up to this many characters.
_SHOWN: Final = 40
_WHY: Final = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "not a length its country's numbers have",
    ValidationResult.INVALID_COUNTRY_CODE: "its country code does not exist",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short: a local number without its area code",
}
_UNREADABLE: Final = {
    NumberParseException.INVALID_COUNTRY_CODE: "its country code does not exist",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


class InvalidNumber(ValueError):
    """A written number that is no possible phone number; the message says why, to whoever wrote it."""


class NoCountryCode(InvalidNumber):
    """A national number, and no ``DEFAULT_REGION`` to say whose: it may well be a number, just unreadable."""


@dataclass(frozen=True, slots=True)
class _Written:
    text: str  # as written, shortened for messages
    digits: str
    # The digits start with a country code: '+', '00' or the region's international prefix was written.
    international: bool


def canonical_number(text: str, *, default_region: str) -> str:
    """The E.164 form (``+4950100000006``) of a number as a person wrote it; see the module docstring.

    ``default_region`` is ``DEFAULT_REGION``: the country of national numbers, or "" when every number
    must be written international. Raises ``InvalidNumber`` for anything that is not a possible number.
    """
    written = _read(text, default_region)
    if written.international:
        return _e164(written, "+" + written.digits, None)
    if not default_region:
        raise NoCountryCode(
            f"{written.text!r} has no country code: write it with '+' or '00' in front "
            "(DEFAULT_REGION is not set, so national numbers cannot be read)."
        )
    if _country_code_instead_of_trunk_prefix(written.digits, default_region):
        try:
            return _e164(written, "+" + written.digits, None)
        except InvalidNumber:
            pass  # not a possible international number: it is a national one after all
    return _e164(written, written.digits, default_region)


def possible_readings(text: str, *, default_region: str) -> frozenset[str]:
    """Every E.164 number a contact's number may be dialed as (empty when it is none); never raises.

    Digits written without '+' are read as a national number of ``default_region`` and as E.164 without
    its '+', because the dialer hands them to the trunk as they are and trunks differ in which they dial.
    """
    try:
        written = _read(text, default_region)
    except InvalidNumber:
        return frozenset()
    candidates: list[tuple[str, str | None]] = [("+" + written.digits, None)]
    if not written.international and default_region:
        candidates.append((written.digits, default_region))
    readings = set()
    for digits, region in candidates:
        try:
            readings.add(_e164(written, digits, region))
        except InvalidNumber:
            continue
    return frozenset(readings)


def _metadata(region: str) -> PhoneMetadata:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise ValueError(f"DEFAULT_REGION {region!r} is not a region phonenumbers knows")
    return metadata


def _read(text: str, region: str) -> _Written:
    if region:
        _metadata(region)  # a wrong region is a setting's mistake, never the number's
    stripped = text.strip()
    if not stripped:
        raise InvalidNumber("A phone number is required.")
    shown = stripped if len(stripped) <= _SHOWN else stripped[: _SHOWN - 1] + "…"
    if not _WRITTEN.fullmatch(stripped):
        raise InvalidNumber(
            f"{shown!r} is not a phone number: write digits, with '+' in front if international; "
            "spaces, '-', '.', '/' and parentheses may separate them."
        )
    digits = _NOT_DIGIT.sub("", stripped)
    if not digits:
        raise InvalidNumber(f"{shown!r} has no digits.")
    if "+" in stripped:
        return _Written(shown, digits, international=True)
    prefix = _international_prefix(digits, region)
    if prefix and prefix == len(digits):
        raise InvalidNumber(f"{shown!r} has no number after its international prefix.")
    return _Written(shown, digits[prefix:], international=prefix > 0)


def _international_prefix(digits: str, region: str) -> int:
    """How many leading digits are an international call prefix: the region's own, else ``00`` (0: none)."""
    if region:
        own = re.match(_metadata(region).international_prefix or "00", digits)
        if own:
            return own.end()
    return 2 if digits.startswith("00") else 0


def _country_code_instead_of_trunk_prefix(digits: str, region: str) -> bool:
    """Rule 5: digits that start with the country code, in a region that always writes its trunk prefix."""
    metadata = _metadata(region)
    trunk = metadata.national_prefix or ""
    code = str(metadata.country_code)
    if not trunk or code.startswith(trunk) or not digits.startswith(code):
        return False
    return not any(f.national_prefix_optional_when_formatting for f in metadata.number_format)


def _e164(written: _Written, digits: str, region: str | None) -> str:
    """``digits`` ('+' and country code, or national with ``region``) in E.164, if a possible number."""
    where = f" in {region}" if region else ""
    try:
        number = phonenumbers.parse(digits, region)
    except NumberParseException as exc:
        why = _UNREADABLE.get(exc.error_type, "not a phone number")
        raise InvalidNumber(f"{written.text!r} is not a possible phone number{where}: {why}.") from exc
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != ValidationResult.IS_POSSIBLE:
        why = _WHY.get(reason, "not possible")
        raise InvalidNumber(f"{written.text!r} is not a possible phone number{where}: {why}.")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
