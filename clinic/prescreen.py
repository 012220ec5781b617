"""The candidacy pre-screen: the questionnaire and what a set of answers means.

The outcome informs, it never diagnoses: "not now" and "discuss" give reasons in plain
words, and every outcome is confirmed by a clinician at the consultation.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

YES, NO = 0, 1  # answer numbers of the yes/no questions, in button order


class Group(enum.Enum):
    NOT_NOW = "not_now"
    FLAG = "flag"
    FITZPATRICK = "fitzpatrick"


class Outcome(enum.Enum):
    NOT_NOW = "not_now"
    DISCUSS = "discuss"
    NO_CONCERNS = "no_concerns"


@dataclass(frozen=True)
class Question:
    key: str
    group: Group
    text: str
    # Button labels; for yes/no questions the content's yes/no labels fill these in.
    answers: tuple[str, ...] = ()
    reason: str = ""
    advice: str = ""


@dataclass(frozen=True)
class Band:
    up_to: int
    skin_type: str
    flag: str = ""
    # Said instead of the usual "may suit you" opening of a "discuss" result, for skin
    # types the clinic itself lists among reasons to avoid the treatment.
    discuss_result: str = ""


@dataclass(frozen=True)
class Questionnaire:
    version: str
    questions: tuple[Question, ...]
    bands: tuple[Band, ...]

    def band_of(self, skin_type: str | None) -> Band | None:
        return next((band for band in self.bands if band.skin_type == skin_type), None)

    def index_of(self, key: str) -> int | None:
        return next((i for i, q in enumerate(self.questions) if q.key == key), None)


@dataclass(frozen=True)
class Reason:
    reason: str
    advice: str


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    not_now: tuple[Reason, ...]
    flags: tuple[str, ...]
    fitzpatrick_total: int
    skin_type: str


def skin_type(bands: tuple[Band, ...], total: int) -> Band:
    """The band of a Fitzpatrick total: the first whose upper bound reaches it."""
    return next((band for band in bands if total <= band.up_to), bands[-1])


def score(questionnaire: Questionnaire, answers: Mapping[str, int]) -> Result:
    """From answers (question key -> answer number) to the outcome and its reasons.

    Unanswered questions count as "no" and score 0: a result is only computed once
    every question has an answer, and the caller makes sure of that.
    """
    not_now: list[Reason] = []
    flags: list[str] = []
    total = 0
    for question in questionnaire.questions:
        answer = answers.get(question.key)
        if question.group is Group.FITZPATRICK:
            total += answer or 0
        elif answer == YES and question.group is Group.NOT_NOW:
            not_now.append(Reason(question.reason, question.advice))
        elif answer == YES:
            flags.append(question.reason)
    band = skin_type(questionnaire.bands, total)
    if band.flag:
        flags.append(band.flag)
    if not_now:
        outcome = Outcome.NOT_NOW
    elif flags:
        outcome = Outcome.DISCUSS
    else:
        outcome = Outcome.NO_CONCERNS
    return Result(outcome, tuple(not_now), tuple(flags), total, band.skin_type)
