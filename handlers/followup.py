"""The long-term check-in: the message months after a treatment (rendered when due, in
the patient's language), its buttons, and /followup to turn these check-ins off or on.

The buttons name nothing: each acts on the pressing patient's own check-in, so an old
message's button can do no more than /followup can.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from clinic.content import Content
from handlers.booking.steps import start as book
from handlers.callbacks import FU_CONSULT, FU_HOLDING, FU_OFF, FU_ON, exactly
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import back_to_menu_button
from handlers.notices import renders
from handlers.outgoing import Outgoing
from handlers.replies import answer_button, send, show
from services import followup
from services.context import Services
from services.followup import Answer, Status
from services.outbox import Due

PRIVATE = filters.ChatType.PRIVATE


def checkin_keyboard(content: Content) -> InlineKeyboardMarkup:
    texts = content.texts
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts("followup.holding"), callback_data=FU_HOLDING)],
            [InlineKeyboardButton(texts("followup.consult"), callback_data=FU_CONSULT)],
            [InlineKeyboardButton(texts("followup.stop"), callback_data=FU_OFF)],
        ]
    )


@renders(followup.KIND)
async def render_checkin(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    """How are the results holding? Nothing if the patient turned these off meanwhile,
    or a newer treatment moved the check-in."""
    treated_on: date | None = await followup.to_send(
        session, patient_id=due.patient_id, treated_on=str(due.payload.get("treated_on"))
    )
    if treated_on is None:
        return None
    day = content.dates(services.zone).day_year(treated_on)
    return Outgoing(content.texts("followup.checkin", day=day), checkin_keyboard(content))


def _patient(update: Update, context: ClinicContext) -> int | None:
    return context.scope.patient_id


async def holding(update: Update, context: ClinicContext) -> None:
    """Holding well: kept, and thanked."""
    if (patient_id := _patient(update, context)) is None:
        await answer_button(update, context)
        return
    await followup.answer(
        context.session, patient_id=patient_id, answer=Answer.HOLDING, now=context.scope.now
    )
    await show(
        update,
        context,
        context.text("followup.thanks"),
        InlineKeyboardMarkup([[back_to_menu_button(context)]]),
    )


async def consult(update: Update, context: ClinicContext) -> None:
    """A consultation: the answer is kept, and the booking flow starts."""
    if (patient_id := _patient(update, context)) is None:
        await answer_button(update, context)
        return
    await followup.answer(
        context.session, patient_id=patient_id, answer=Answer.CONSULT, now=context.scope.now
    )
    await book(update, context)


def _status_screen(context: ClinicContext, status: Status) -> tuple[str, InlineKeyboardMarkup]:
    if not status.on:
        text = context.text("followup.status_off")
        toggle = InlineKeyboardButton(context.text("followup.turn_on"), callback_data=FU_ON)
    else:
        if status.next_at is not None:
            text = context.text("followup.status_next", when=context.dates.when(status.next_at))
        else:
            months = str(context.services.followup_months)
            text = context.text("followup.status_on", count=months)
        toggle = InlineKeyboardButton(context.text("followup.turn_off"), callback_data=FU_OFF)
    return text, InlineKeyboardMarkup([[toggle], [back_to_menu_button(context)]])


async def command(update: Update, context: ClinicContext) -> None:
    """/followup: whether the check-ins are on, when the next one comes, and a switch."""
    patient_id = _patient(update, context)
    assert patient_id is not None  # a private chat always has its patient
    status = await followup.status(context.session, patient_id=patient_id)
    await send(update, context, *_status_screen(context, status))


async def turn_off(update: Update, context: ClinicContext) -> None:
    """No more of these: from the check-in itself, or /followup."""
    if (patient_id := _patient(update, context)) is None:
        await answer_button(update, context)
        return
    await followup.turn_off(context.session, patient_id=patient_id, now=context.scope.now)
    text, keyboard = _status_screen(context, Status(on=False, next_at=None))
    await show(update, context, f"{context.text('followup.stopped')}\n\n{text}", keyboard)


async def turn_on(update: Update, context: ClinicContext) -> None:
    if (patient_id := _patient(update, context)) is None:
        await answer_button(update, context)
        return
    status = await followup.turn_on(
        context.session,
        patient_id=patient_id,
        months=context.services.followup_months,
        zone=context.services.zone,
        now=context.scope.now,
    )
    await show(update, context, *_status_screen(context, status))


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("followup", command, filters=PRIVATE),
            CallbackQueryHandler(holding, pattern=exactly(FU_HOLDING)),
            CallbackQueryHandler(consult, pattern=exactly(FU_CONSULT)),
            CallbackQueryHandler(turn_off, pattern=exactly(FU_OFF)),
            CallbackQueryHandler(turn_on, pattern=exactly(FU_ON)),
        ]
    )
