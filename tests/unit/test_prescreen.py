"""Pre-screen scoring: each risk answer alone, none, and the Fitzpatrick band edges."""

from __future__ import annotations

import pytest

from clinic.content import load_content
from clinic.prescreen import NO, YES, Group, Outcome, Question, score, skin_type

QUESTIONNAIRE = load_content().fallback.questionnaire
YES_NO = [q for q in QUESTIONNAIRE.questions if q.group is not Group.FITZPATRICK]
FITZPATRICK = [q for q in QUESTIONNAIRE.questions if q.group is Group.FITZPATRICK]


def answers(**changes: int) -> dict[str, int]:
    """No to every yes/no question, the lightest answer to every skin question."""
    values = {q.key: NO for q in YES_NO} | {q.key: 0 for q in FITZPATRICK}
    return values | changes


def with_total(total: int) -> dict[str, int]:
    """Fitzpatrick answers adding up to `total`, spread over the ten questions."""
    values = answers()
    for question in FITZPATRICK:
        values[question.key] = min(4, total)
        total -= values[question.key]
    assert total == 0
    return values


def test_the_shipped_questionnaire_has_ten_skin_questions_and_a_version() -> None:
    assert len(FITZPATRICK) == 10
    assert QUESTIONNAIRE.version
    assert all(len(q.answers) == 5 for q in FITZPATRICK)
    assert all(q.answers == ("Yes", "No") for q in YES_NO)


@pytest.mark.parametrize(
    "question", [q for q in YES_NO if q.group is Group.NOT_NOW], ids=lambda q: q.key
)
def test_each_not_now_answer_alone_gives_not_now_with_its_reason(question: Question) -> None:
    result = score(QUESTIONNAIRE, answers(**{question.key: YES}))
    assert result.outcome is Outcome.NOT_NOW
    assert [(r.reason, r.advice) for r in result.not_now] == [(question.reason, question.advice)]
    assert result.flags == ()


def test_isotretinoin_says_when_to_come_back() -> None:
    result = score(QUESTIONNAIRE, answers(isotretinoin=YES))
    assert "12 months after your last dose" in result.not_now[0].advice


@pytest.mark.parametrize(
    "question", [q for q in YES_NO if q.group is Group.FLAG], ids=lambda q: q.key
)
def test_each_flag_alone_gives_discuss(question: Question) -> None:
    result = score(QUESTIONNAIRE, answers(**{question.key: YES}))
    assert result.outcome is Outcome.DISCUSS
    assert result.flags == (question.reason,)
    assert result.not_now == ()


def test_no_risk_answers_give_no_concerns() -> None:
    result = score(QUESTIONNAIRE, answers())
    assert result.outcome is Outcome.NO_CONCERNS
    assert (result.not_now, result.flags, result.fitzpatrick_total) == ((), (), 0)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, "I"),
        (7, "I"),
        (8, "II"),
        (16, "II"),
        (17, "III"),
        (25, "III"),
        (26, "IV"),
        (30, "IV"),
        (31, "V–VI"),
        (40, "V–VI"),
    ],
)
def test_fitzpatrick_band_edges(total: int, expected: str) -> None:
    assert skin_type(QUESTIONNAIRE.bands, total).skin_type == expected
    result = score(QUESTIONNAIRE, with_total(total))
    assert (result.fitzpatrick_total, result.skin_type) == (total, expected)


def test_darker_skin_types_are_flagged_for_the_technician() -> None:
    assert score(QUESTIONNAIRE, with_total(25)).outcome is Outcome.NO_CONCERNS
    darker = score(QUESTIONNAIRE, with_total(26))
    assert darker.outcome is Outcome.DISCUSS
    assert "pigment change" in darker.flags[0]


def test_not_now_wins_over_flags_and_keeps_them() -> None:
    result = score(QUESTIONNAIRE, answers(pregnant=YES, smoking=YES))
    assert result.outcome is Outcome.NOT_NOW
    assert len(result.not_now) == 1 and len(result.flags) == 1
