"""The pre-screen's steps: each parses the update, calls one use case of
services.prescreen, and shows what it returned."""

from __future__ import annotations

from telegram import Update

from handlers import steps
from handlers.callbacks import QuestionButton, parse_question_button
from handlers.context import ClinicContext
from handlers.navigation import menu_keyboard
from handlers.prescreen import screens
from handlers.prescreen.state import CONSENT, FLOW, QUESTION, RESULT, RESUME, State
from handlers.replies import PRESCREEN_STEP, health_step, show
from handlers.steps import stale
from services import prescreen
from services.prescreen import Asking, Finished, NeedsConsent, Resumable, Run, Stale


def _patient(context: ClinicContext) -> int:
    assert context.scope.patient_id is not None
    return context.scope.patient_id


def _state(context: ClinicContext) -> State:
    flow = context.flow
    return State.from_data(flow.data) if flow.name == FLOW else State()


def _go(context: ClinicContext, step: str, state: State) -> None:
    context.flow.go(FLOW, step)
    context.flow.data = state.to_data()


async def _ask(update: Update, context: ClinicContext, run: Run) -> None:
    _go(context, QUESTION, State(run=run.id))
    await show(update, context, *screens.question(context, run))


async def _current_run(context: ClinicContext) -> Run | None:
    run_id = _state(context).run
    if run_id is None:
        return None
    return await prescreen.current(context.session, patient_id=_patient(context), run_id=run_id)


async def start(update: Update, context: ClinicContext) -> None:
    """Asks for consent first; after that, starts or offers to resume."""
    started = await prescreen.start(
        context.session,
        patient_id=_patient(context),
        questionnaire=screens.questionnaire(context),
        now=context.scope.now,
    )
    if isinstance(started, NeedsConsent):
        _go(context, CONSENT, State())
        await show(update, context, *screens.consent(context))
    elif isinstance(started, Resumable):
        _go(context, RESUME, State(run=started.run.id))
        await show(update, context, *screens.resume(context, started.run))
    else:
        await _ask(update, context, started.run)


async def agree(update: Update, context: ClinicContext) -> None:
    """Stores the consent time and asks the first question."""
    if not steps.at(context, FLOW, CONSENT):
        await stale(update, context)
        return
    asking = await prescreen.consent(
        context.session,
        patient_id=_patient(context),
        questionnaire=screens.questionnaire(context),
        now=context.scope.now,
    )
    await _ask(update, context, asking.run)


async def decline(update: Update, context: ClinicContext) -> None:
    """Goes back to the menu without storing anything."""
    context.flow.reset()
    text = f"{context.text('prescreen.declined')}\n\n{context.text('menu.prompt')}"
    await show(update, context, text, menu_keyboard(context))


async def resume(update: Update, context: ClinicContext) -> None:
    """Carries on at the question where the patient stopped."""
    run = await _current_run(context)
    if run is None or context.flow.step != RESUME:
        await stale(update, context)
        return
    await _ask(update, context, run)


async def restart(update: Update, context: ClinicContext) -> None:
    """Starts again from the first question; the newest result will count."""
    restarted = await prescreen.restart(
        context.session,
        patient_id=_patient(context),
        questionnaire=screens.questionnaire(context),
        now=context.scope.now,
    )
    if isinstance(restarted, NeedsConsent):
        await start(update, context)
        return
    await _ask(update, context, restarted.run)


async def pause(update: Update, context: ClinicContext) -> None:
    """Leaves the questionnaire; the answers so far are kept for later."""
    context.flow.reset()
    await show(update, context, context.text("prescreen.paused"), menu_keyboard(context))


async def _pressed(update: Update, context: ClinicContext) -> QuestionButton | None:
    """The question button pressed, if it is for the question on screen now."""
    query = update.callback_query
    assert query is not None and query.data is not None
    button = parse_question_button(query.data)
    if button is None or context.flow.step != QUESTION or _state(context).run != button.run_id:
        await stale(update, context, context.text("prescreen.old_question"))
        return None
    return button


async def answer(update: Update, context: ClinicContext) -> None:
    """Stores the answer and asks the next question, or shows the result after the last."""
    button = await _pressed(update, context)
    if button is None:
        return
    answered = await prescreen.answer(
        context.session,
        patient_id=_patient(context),
        run_id=button.run_id,
        position=button.position,
        # Answer buttons always carry one (PS_ANSWER_PATTERN); none would be out of range.
        choice=-1 if button.choice is None else button.choice,
        questionnaire=screens.questionnaire(context),
        now=context.scope.now,
    )
    if isinstance(answered, Stale):
        await stale(update, context, context.text("prescreen.old_question"))
    elif isinstance(answered, Asking):
        await _ask(update, context, answered.run)
    else:
        await _result(update, context, answered)


async def _result(update: Update, context: ClinicContext, finished: Finished) -> None:
    _go(context, RESULT, State())
    await show(update, context, *screens.result(context, finished.summary))


async def back(update: Update, context: ClinicContext) -> None:
    """Goes to the previous question to change its answer."""
    button = await _pressed(update, context)
    if button is None:
        return
    moved = await prescreen.back(
        context.session,
        patient_id=_patient(context),
        run_id=button.run_id,
        position=button.position,
    )
    if isinstance(moved, Stale):
        await stale(update, context, context.text("prescreen.old_question"))
        return
    await _ask(update, context, moved.run)


# -- the steps, declared once (handlers.steps shows them again and answers stale input) --


async def _consent(context: ClinicContext) -> screens.Screen:
    health_step(context, PRESCREEN_STEP)
    return screens.consent(context)


async def _resume(context: ClinicContext) -> screens.Screen | None:
    health_step(context, PRESCREEN_STEP)
    run = await _current_run(context)
    return None if run is None else screens.resume(context, run)


async def _question(context: ClinicContext) -> screens.Screen | None:
    health_step(context, PRESCREEN_STEP)
    run = await _current_run(context)
    if run is None:
        return None
    _go(context, QUESTION, State(run=run.id))
    return screens.question(context, run)


async def _latest(context: ClinicContext) -> screens.Screen | None:
    health_step(context, PRESCREEN_STEP)
    summary = await prescreen.latest(context.session, patient_id=_patient(context))
    return None if summary is None else screens.result(context, summary)


async def _nowhere(context: ClinicContext) -> None:
    """A step that cannot be shown: the menu, still logged as a health step."""
    health_step(context, PRESCREEN_STEP)


steps.declare(
    steps.Flow(
        FLOW,
        {
            CONSENT: steps.Step(_consent),
            RESUME: steps.Step(_resume),
            QUESTION: steps.Step(_question),
            RESULT: steps.Step(_latest),
        },
        otherwise=_nowhere,
    )
)
