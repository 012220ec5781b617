"""What the pre-screen shows: consent, a question, the offer to resume, the result."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from clinic.prescreen import Outcome, Questionnaire
from handlers.callbacks import (
    PS_AGREE,
    PS_CONTINUE,
    PS_DECLINE,
    PS_PAUSE,
    PS_RESTART,
    prescreen_answer_data,
    prescreen_back_data,
)
from handlers.context import ClinicContext
from handlers.navigation import BOOK, CONTACT, back_to_menu_button
from services.prescreen import Run, Summary

Screen = tuple[str, InlineKeyboardMarkup]


def questionnaire(context: ClinicContext) -> Questionnaire:
    return context.content.questionnaire


def _button(context: ClinicContext, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text(key), callback_data=data)


def consent(context: ClinicContext) -> Screen:
    return context.text("prescreen.consent"), InlineKeyboardMarkup(
        [
            [_button(context, "prescreen.agree", PS_AGREE)],
            [_button(context, "prescreen.decline", PS_DECLINE)],
        ]
    )


def question(context: ClinicContext, run: Run) -> Screen:
    questions = questionnaire(context).questions
    asked = questions[run.position]
    text = context.text(
        "prescreen.question",
        number=str(run.position + 1),
        total=str(len(questions)),
        text=html.escape(asked.text),
    )
    rows = [
        [
            InlineKeyboardButton(
                label, callback_data=prescreen_answer_data(run.id, run.position, number)
            )
        ]
        for number, label in enumerate(asked.answers)
    ]
    last = [_button(context, "prescreen.pause", PS_PAUSE)]
    if run.position > 0:
        back = prescreen_back_data(run.id, run.position)
        last.insert(0, _button(context, "prescreen.back", back))
    rows.append(last)
    return text, InlineKeyboardMarkup(rows)


def resume(context: ClinicContext, run: Run) -> Screen:
    total = len(questionnaire(context).questions)
    text = context.text("prescreen.resume", number=str(run.position + 1), total=str(total))
    return text, InlineKeyboardMarkup(
        [
            [_button(context, "prescreen.continue", PS_CONTINUE)],
            [_button(context, "prescreen.restart", PS_RESTART)],
            [back_to_menu_button(context)],
        ]
    )


def _advice(context: ClinicContext) -> dict[str, str]:
    return {q.reason: q.advice for q in questionnaire(context).questions if q.advice}


def result(context: ClinicContext, summary: Summary) -> Screen:
    advice = _advice(context)
    outcome = Outcome(summary.outcome)
    lines = [context.text(f"prescreen.result_{outcome.value}")]
    band = questionnaire(context).band_of(summary.skin_type)
    if outcome is Outcome.DISCUSS and band is not None and band.discuss_result:
        lines = [band.discuss_result]
    reword = context.services.content.reword
    if outcome is Outcome.NOT_NOW:
        reasons = [reword(said, context.content) for said in summary.not_now]
        lines += [f"• <b>{html.escape(r)}</b>\n  {html.escape(advice.get(r, ''))}" for r in reasons]
    if summary.flags and outcome is not Outcome.NO_CONCERNS:
        if outcome is Outcome.NOT_NOW:
            lines.append(context.text("prescreen.also_discuss"))
        lines += [f"• {html.escape(reword(flag, context.content))}" for flag in summary.flags]
    if summary.skin_type:
        total = str(summary.fitzpatrick_total) if summary.fitzpatrick_total is not None else "?"
        lines.append(context.text("prescreen.skin_type", skin_type=summary.skin_type, total=total))
    if outcome is not Outcome.NO_CONCERNS:
        lines.append(context.text("prescreen.not_diagnosis"))
    first = (
        _button(context, "prescreen.contact", CONTACT)
        if outcome is Outcome.NOT_NOW
        else _button(context, "prescreen.book", BOOK)
    )
    keyboard = InlineKeyboardMarkup(
        [[first], [_button(context, "prescreen.again", PS_RESTART)], [back_to_menu_button(context)]]
    )
    return "\n\n".join(lines), keyboard
