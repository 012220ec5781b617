"""The patient's own data: /mydata sends all of it as a file, /forget deletes it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from clinic.content import Content
from handlers.callbacks import FORGET_NO, FORGET_YES, pattern
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import back_to_menu
from handlers.notices import renders
from handlers.outgoing import Outgoing
from handlers.replies import answer_button, send, send_document, show
from services import privacy
from services.context import Services
from services.outbox import Due
from services.privacy import STAFF_FORGOTTEN

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE


async def my_data(update: Update, context: ClinicContext) -> None:
    """Everything stored about the patient, as a JSON document."""
    patient_id = context.scope.patient_id
    assert patient_id is not None
    data = await privacy.export(
        context.session,
        patient_id=patient_id,
        clinic_name=context.content.clinic.name,
        now=context.scope.now,
    )
    await send_document(
        update, context, "my-data.json", data, context.text("privacy.mydata_caption")
    )
    log.info("patient data exported patient_id=%s bytes=%s", patient_id, len(data))


async def ask_forget(update: Update, context: ClinicContext) -> None:
    """/forget only asks: nothing is deleted before the patient taps Yes."""
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("privacy.forget_yes"), callback_data=FORGET_YES)],
            [InlineKeyboardButton(context.text("privacy.forget_no"), callback_data=FORGET_NO)],
        ]
    )
    await send(update, context, context.text("privacy.forget_ask"), keyboard)


async def keep(update: Update, context: ClinicContext) -> None:
    await show(update, context, context.text("privacy.forget_kept"), back_to_menu(context))


async def forget(update: Update, context: ClinicContext) -> None:
    """Deletes the patient's data; staff hear of each upcoming consultation cancelled."""
    scope = context.scope
    if scope.patient_id is None:
        await answer_button(update, context)
        return
    patient_id = scope.patient_id
    forgotten = await privacy.forget(
        scope.session,
        patient_id=patient_id,
        staff_chat_id=context.services.staff_chat_id,
        now=scope.now,
        offering=context.services.waitlist,
    )
    # Nothing of this update may be written back for the patient: no flow, no log.
    scope.patient_id = None
    scope.log.clear()
    await show(update, context, context.text("privacy.forgotten"))
    log.info("patient data deleted patient_id=%s cancelled=%s", patient_id, forgotten.cancelled)


@renders(STAFF_FORGOTTEN)
async def render_staff_forgotten(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    """Only the time: the patient's name and phone are gone, the earlier card has them."""
    starts_at = datetime.fromisoformat(due.payload["starts_at"])
    when = content.dates(services.zone).when(starts_at)
    return Outgoing(content.texts("privacy.staff_forgotten", when=when))


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("mydata", my_data, filters=PRIVATE),
            CommandHandler("forget", ask_forget, filters=PRIVATE),
            CallbackQueryHandler(forget, pattern=pattern(FORGET_YES, "")),
            CallbackQueryHandler(keep, pattern=pattern(FORGET_NO, "")),
        ]
    )
