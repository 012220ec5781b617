"""The staff group: confirming or declining consultation requests on their cards."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from db import appointments
from handlers.callbacks import STAFF_CONFIRM, STAFF_DECLINE, pattern, trailing_id
from handlers.context import ClinicContext
from handlers.notices import after_confirmation, staff_card, to_patient
from handlers.replies import answer_button, show


def in_staff_chat(update: Update, context: ClinicContext) -> bool:
    """Staff actions count only from the configured group, whoever presses."""
    chat = update.effective_chat
    return chat is not None and chat.id == context.services.staff_chat_id


async def decide(update: Update, context: ClinicContext) -> None:
    """Confirms or declines a request, tells the patient, and updates the card."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not in_staff_chat(update, context):
        # A forged or forwarded staff button: no effect, and nothing revealed.
        await answer_button(update, context, context.text("staff.not_here"))
        return
    appointment = await appointments.find(context.session, appointment_id=trailing_id(query.data))
    if appointment is None:
        await answer_button(update, context, context.text("staff.already"))
        return
    if appointment.status != "requested":
        # Someone else pressed first, or the patient cancelled: show the card as it is now.
        await answer_button(update, context, context.text("staff.already"))
        await show(
            update, context, *await staff_card(context.session, context.services, appointment)
        )
        return
    user = update.effective_user
    assert user is not None
    confirmed = query.data.startswith(STAFF_CONFIRM)
    decided = await appointments.change_status(
        context.session,
        appointment_id=appointment.id,
        status="confirmed" if confirmed else "declined",
        now=context.scope.now,
        decided_by=user.full_name[:128],
    )
    if confirmed:
        await after_confirmation(context, decided)
    else:
        await to_patient(context, "declined", decided)
    await answer_button(update, context, context.text("staff.done"))
    await show(update, context, *await staff_card(context.session, context.services, decided))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handlers(
        [
            CallbackQueryHandler(decide, pattern=pattern(STAFF_CONFIRM, r"\d{1,18}")),
            CallbackQueryHandler(decide, pattern=pattern(STAFF_DECLINE, r"\d{1,18}")),
        ]
    )
