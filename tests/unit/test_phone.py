"""Phone numbers typed or shared by patients."""

from __future__ import annotations

import pytest

from clinic.phone import display_phone, normalise_phone, shared_phone


@pytest.mark.parametrize(
    "typed",
    ["416 555 0123", "(416) 555-0123", "+1 416 555 0123", "1-416-555-0123", "4165550123"],
)
def test_canadian_numbers_in_any_common_form(typed: str) -> None:
    assert normalise_phone(typed) == "+14165550123"
    assert display_phone("+14165550123") == "+1 416-555-0123"


def test_a_number_from_abroad_keeps_its_country() -> None:
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize("typed", ["", "hello", "555", "123 456 7890", "416 555 01234567"])
def test_what_is_not_a_number_is_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


@pytest.mark.parametrize("number", ["14165550123", "+14165550123", " 14165550123 "])
def test_a_shared_contact_number_with_or_without_its_plus(number: str) -> None:
    assert shared_phone(number) == "+14165550123"
