"""Reading warning signs in a patient's own words: what counts, what does not."""

from __future__ import annotations

import pytest

from clinic.content import load_content
from clinic.triage import read_signs

SIGNS = load_content().fallback.aftercare.signs


def found(text: str) -> dict[str, tuple[str, ...]]:
    return {finding.sign: finding.words for finding in read_signs(text, SIGNS)}


def test_the_message_the_review_sent_is_read_as_fever_and_infection() -> None:
    assert found("my face is swollen, pus everywhere and 39.5 fever") == {
        "fever": ("fever",),
        "infection": ("pus",),
    }


@pytest.mark.parametrize(
    ("text", "signs"),
    [
        ("I have CHILLS and my eyes are swollen", {"fever", "swelling"}),
        ("there are little blisters near my lip", {"cold_sore"}),
        ("Yellow crusts today, and it smells bad", {"infection"}),
        ("I can’t breathe properly", {"allergy"}),
        ("my vision is blurry since this morning", {"eyes"}),
        ("it's been 3 weeks and it's still open", {"not_healing"}),
        ("the redness is spreading to my neck", {"infection"}),
    ],
)
def test_each_sign_is_read_in_plain_words(text: str, signs: set[str]) -> None:
    assert set(found(text)) == signs


@pytest.mark.parametrize(
    "text",
    [
        "no fever, just a bit red",
        "I don't have a fever",
        "not infected I think, it looks fine",
        "ok thanks",
        "Can I book again?",
        "What does it cost?",
        "",
    ],
)
def test_a_negation_or_an_ordinary_question_reports_nothing(text: str) -> None:
    assert found(text) == {}


def test_a_negation_further_back_does_not_hide_a_later_sign() -> None:
    assert set(found("No idea what this is, but there is pus")) == {"infection"}
