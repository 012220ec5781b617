"""Am I a good candidate? Consent, one question per message, then a plain result."""

from __future__ import annotations

import html
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from clinic.prescreen import Outcome, Questionnaire, score
from db import prescreens
from db.prescreens import Run
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import (
    BOOK,
    CANDIDACY,
    CONTACT,
    back_to_menu_button,
    menu_keyboard,
    reshows,
)
from handlers.replies import PRESCREEN_STEP, answer_button, health_step, send, show

FLOW = "prescreen"
CONSENT, RESUME, QUESTION, RESULT = "consent", "resume", "question", "result"

AGREE = "ps:agree"
DECLINE = "ps:decline"
CONTINUE = "ps:continue"
RESTART = "ps:restart"
PAUSE = "ps:pause"
ANSWER = "ps:a:"  # + run id : question number : answer number
BACK = "ps:b:"  # + run id : question number

PRIVATE = filters.ChatType.PRIVATE


def _questionnaire(context: ClinicContext) -> Questionnaire:
    return context.content.questionnaire


def _button(context: ClinicContext, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text(key), callback_data=data)


# -- screens ---------------------------------------------------------------------------


def _consent_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    return context.text("prescreen.consent"), InlineKeyboardMarkup(
        [
            [_button(context, "prescreen.agree", AGREE)],
            [_button(context, "prescreen.decline", DECLINE)],
        ]
    )


def _question_screen(context: ClinicContext, run: Run) -> tuple[str, InlineKeyboardMarkup]:
    questions = _questionnaire(context).questions
    question = questions[run.position]
    text = context.text(
        "prescreen.question",
        number=str(run.position + 1),
        total=str(len(questions)),
        text=html.escape(question.text),
    )
    rows = [
        [InlineKeyboardButton(label, callback_data=f"{ANSWER}{run.id}:{run.position}:{number}")]
        for number, label in enumerate(question.answers)
    ]
    last = [_button(context, "prescreen.pause", PAUSE)]
    if run.position > 0:
        last.insert(0, _button(context, "prescreen.back", f"{BACK}{run.id}:{run.position}"))
    rows.append(last)
    return text, InlineKeyboardMarkup(rows)


def _resume_screen(context: ClinicContext, run: Run) -> tuple[str, InlineKeyboardMarkup]:
    total = len(_questionnaire(context).questions)
    text = context.text("prescreen.resume", number=str(run.position + 1), total=str(total))
    return text, InlineKeyboardMarkup(
        [
            [_button(context, "prescreen.continue", CONTINUE)],
            [_button(context, "prescreen.restart", RESTART)],
            [back_to_menu_button(context)],
        ]
    )


def _result_screen(
    context: ClinicContext, summary: prescreens.Summary, advice: dict[str, str]
) -> tuple[str, InlineKeyboardMarkup]:
    outcome = Outcome(summary.outcome)
    lines = [context.text(f"prescreen.result_{outcome.value}")]
    band = _questionnaire(context).band_of(summary.skin_type)
    if outcome is Outcome.DISCUSS and band is not None and band.discuss_result:
        lines = [band.discuss_result]
    if outcome is Outcome.NOT_NOW:
        lines += [
            f"• <b>{html.escape(r)}</b>\n  {html.escape(advice.get(r, ''))}"
            for r in summary.not_now
        ]
    if summary.flags and outcome is not Outcome.NO_CONCERNS:
        if outcome is Outcome.NOT_NOW:
            lines.append(context.text("prescreen.also_discuss"))
        lines += [f"• {html.escape(flag)}" for flag in summary.flags]
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
        [[first], [_button(context, "prescreen.again", RESTART)], [back_to_menu_button(context)]]
    )
    return "\n\n".join(lines), keyboard


# -- steps -------------------------------------------------------------------------------


def _patient(context: ClinicContext) -> int:
    assert context.scope.patient_id is not None
    return context.scope.patient_id


async def start(update: Update, context: ClinicContext) -> None:
    """Asks for consent first; after that, starts or offers to resume."""
    if not await prescreens.has_consented(context.session, patient_id=_patient(context)):
        context.flow.go(FLOW, CONSENT)
        await show(update, context, *_consent_screen(context))
        return
    run = await prescreens.unfinished(context.session, patient_id=_patient(context))
    if run is not None and run.position > 0:
        context.flow.go(FLOW, RESUME, run=run.id)
        await show(update, context, *_resume_screen(context, run))
        return
    await _ask(update, context, run or await _new_run(context))


async def _new_run(context: ClinicContext) -> Run:
    return await prescreens.begin(
        context.session,
        patient_id=_patient(context),
        version=_questionnaire(context).version,
        now=context.scope.now,
    )


async def _ask(update: Update, context: ClinicContext, run: Run) -> None:
    context.flow.go(FLOW, QUESTION, run=run.id)
    await show(update, context, *_question_screen(context, run))


async def agree(update: Update, context: ClinicContext) -> None:
    """Stores the consent time and asks the first question."""
    if context.flow.name != FLOW or context.flow.step != CONSENT:
        await _stale(update, context)
        return
    await prescreens.record_consent(
        context.session, patient_id=_patient(context), now=context.scope.now
    )
    await _ask(update, context, await _new_run(context))


async def decline(update: Update, context: ClinicContext) -> None:
    """Goes back to the menu without storing anything."""
    context.flow.reset()
    text = f"{context.text('prescreen.declined')}\n\n{context.text('menu.prompt')}"
    await show(update, context, text, menu_keyboard(context))


async def resume(update: Update, context: ClinicContext) -> None:
    """Carries on at the question where the patient stopped."""
    run = await _current_run(context)
    if run is None or context.flow.step != RESUME:
        await _stale(update, context)
        return
    await _ask(update, context, run)


async def restart(update: Update, context: ClinicContext) -> None:
    """Starts again from the first question; the newest result will count."""
    if not await prescreens.has_consented(context.session, patient_id=_patient(context)):
        await start(update, context)
        return
    await _ask(update, context, await _new_run(context))


async def pause(update: Update, context: ClinicContext) -> None:
    """Leaves the questionnaire; the answers so far are kept for later."""
    context.flow.reset()
    await show(update, context, context.text("prescreen.paused"), menu_keyboard(context))


async def _current_run(context: ClinicContext) -> Run | None:
    if context.flow.name != FLOW or "run" not in context.flow.data:
        return None
    return await prescreens.own_run(
        context.session, run_id=int(context.flow.data["run"]), patient_id=_patient(context)
    )


async def _pressed_run(
    update: Update, context: ClinicContext, prefix: str
) -> tuple[Run, list[int]] | None:
    """The run and numbers a question button names, if it is the question on screen now."""
    query = update.callback_query
    assert query is not None and query.data is not None
    run_id, *numbers = (int(part) for part in query.data.removeprefix(prefix).split(":"))
    run = await _current_run(context)
    if (
        run is None
        or run.id != run_id
        or context.flow.step != QUESTION
        or numbers[0] != run.position
    ):
        await _stale(update, context, context.text("prescreen.old_question"))
        return None
    return run, numbers


async def answer(update: Update, context: ClinicContext) -> None:
    """Stores the answer and asks the next question, or shows the result after the last."""
    pressed = await _pressed_run(update, context, ANSWER)
    if pressed is None:
        return
    run, (position, choice) = pressed
    questions = _questionnaire(context).questions
    question = questions[position]
    if not 0 <= choice < len(question.answers):
        await _stale(update, context, context.text("prescreen.old_question"))
        return
    session, now = context.session, context.scope.now
    await prescreens.answer(
        session, run_id=run.id, question_key=question.key, answer=choice, now=now
    )
    if position + 1 < len(questions):
        await prescreens.move_to(session, run_id=run.id, position=position + 1)
        await _ask(update, context, Run(run.id, run.version, position + 1))
        return
    result = score(_questionnaire(context), await prescreens.answers_of(session, run_id=run.id))
    await prescreens.finish(session, run_id=run.id, result=result, now=now)
    summary = await prescreens.summary(session, prescreen_id=run.id)
    assert summary is not None
    context.flow.go(FLOW, RESULT)
    await show(update, context, *_result_screen(context, summary, _advice(context)))


def _advice(context: ClinicContext) -> dict[str, str]:
    return {q.reason: q.advice for q in _questionnaire(context).questions if q.advice}


async def back(update: Update, context: ClinicContext) -> None:
    """Goes to the previous question to change its answer."""
    pressed = await _pressed_run(update, context, BACK)
    if pressed is None:
        return
    run, (position,) = pressed
    await prescreens.move_to(context.session, run_id=run.id, position=max(position - 1, 0))
    await _ask(update, context, Run(run.id, run.version, max(position - 1, 0)))


async def _stale(update: Update, context: ClinicContext, notice: str | None = None) -> None:
    """An old button: say so, change nothing, and show where the patient is."""
    notice = notice or context.text("fallback.old_button")
    await answer_button(update, context, notice)
    await send(update, context, notice)
    await reshow(update, context)


@reshows(FLOW)
async def reshow(update: Update, context: ClinicContext) -> None:
    health_step(context, PRESCREEN_STEP)
    step = context.flow.step
    if step == CONSENT:
        await send(update, context, *_consent_screen(context))
        return
    run = await _current_run(context)
    if run is not None and step == RESUME:
        await send(update, context, *_resume_screen(context, run))
    elif run is not None:
        context.flow.go(FLOW, QUESTION, run=run.id)
        await send(update, context, *_question_screen(context, run))
    elif step == RESULT and (
        summary := await prescreens.latest(context.session, patient_id=_patient(context))
    ):
        await send(update, context, *_result_screen(context, summary, _advice(context)))
    else:
        context.flow.reset()
        await send(update, context, context.text("menu.prompt"), menu_keyboard(context))


Step = Callable[[Update, ClinicContext], Coroutine[Any, Any, None]]


def _logged_as_health(handler: Step) -> Step:
    """Every step of the questionnaire is a health step: the message log keeps that a
    pre-screen step happened, never the question asked, the answer or the result."""

    async def step(update: Update, context: ClinicContext) -> None:
        health_step(context, PRESCREEN_STEP)
        await handler(update, context)

    step.__doc__ = handler.__doc__
    return step


def register(application: ClinicApp) -> None:
    logged = _logged_as_health
    application.add_handlers(
        [
            CommandHandler("prescreen", logged(start), filters=PRIVATE),
            CallbackQueryHandler(logged(start), pattern=f"^{CANDIDACY}$"),
            CallbackQueryHandler(logged(agree), pattern=f"^{AGREE}$"),
            CallbackQueryHandler(logged(decline), pattern=f"^{DECLINE}$"),
            CallbackQueryHandler(logged(resume), pattern=f"^{CONTINUE}$"),
            CallbackQueryHandler(logged(restart), pattern=f"^{RESTART}$"),
            CallbackQueryHandler(logged(pause), pattern=f"^{PAUSE}$"),
            CallbackQueryHandler(logged(answer), pattern=rf"^{ANSWER}\d{{1,18}}:\d{{1,3}}:\d$"),
            CallbackQueryHandler(logged(back), pattern=rf"^{BACK}\d{{1,18}}:\d{{1,3}}$"),
        ]
    )
