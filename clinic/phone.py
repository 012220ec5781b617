"""Patients' phone numbers: checked and stored in one form (E.164), shown readably."""

from __future__ import annotations

import phonenumbers

# Numbers typed without a country code are read as Canadian (the clinic is in Ontario).
DEFAULT_REGION = "CA"


def normalise_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """'416 555 0123' -> '+14165550123'; None if it is not a valid number."""
    try:
        number = phonenumbers.parse(text.strip()[:40], region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """'+14165550123' -> '+1 416-555-0123'."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def shared_phone(number: str) -> str | None:
    """The number Telegram's share-contact button sends, in E.164. Telegram sends it in
    international form, sometimes without the plus."""
    digits = number.strip()
    return normalise_phone(digits if digits.startswith("+") else f"+{digits}")
