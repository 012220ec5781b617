"""The staff group: the actions on appointment cards, and following the group's moves."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from clinic.aftercare import Laser, local_date
from clinic.agenda import AuditRow
from db import aftercare, appointments, audit, chat_migrations, outbox
from db.appointments import AppointmentView
from db.patients import chat_of
from handlers import nudges
from handlers.callbacks import (
    STAFF_CAME,
    STAFF_CANCEL,
    STAFF_CANCEL_REASON,
    STAFF_CARD,
    STAFF_CONFIRM,
    STAFF_DECLINE,
    STAFF_NO_SHOW,
    STAFF_OPEN,
    STAFF_TREATMENT,
    STAFF_TREATMENT_DAY,
    STAFF_TREATMENT_LASER,
    pattern,
)
from handlers.context import ClinicApp, ClinicContext
from handlers.fallback import unknown_command
from handlers.notices import TREATABLE, after_confirmation, staff_card, to_patient
from handlers.replies import answer_button, send, show
from services.context import Services

log = logging.getLogger(__name__)

# The reasons staff can give when cancelling: texts staff.cancel_reason_1 .. _N.
CANCEL_REASONS = 3


def in_staff_chat(update: Update, context: ClinicContext) -> bool:
    """Staff actions count only from the configured group, whoever presses."""
    chat = update.effective_chat
    return chat is not None and chat.id == context.services.staff_chat_id


def is_staff(update: Update, context: ClinicContext) -> bool:
    """Whether whoever sent this update may act as clinic staff: an administrator of the
    staff group, or listed in STAFF_USER_IDS. Any member of the group is not enough."""
    user = update.effective_user
    return user is not None and context.services.staff.allows(user.id)


async def refuse(update: Update, context: ClinicContext) -> None:
    """A member of the staff group who is not staff: nothing happens, and they are told."""
    user = update.effective_user
    log.warning("staff action refused user_id=%s", user.id if user is not None else None)
    if update.callback_query is not None:
        await answer_button(update, context, context.text("staff.not_staff"))
    else:
        await send(update, context, context.text("staff.not_staff"))


async def audit_action(
    update: Update,
    context: ClinicContext,
    action: str,
    *targets: int | None,
    detail: str | None = None,
) -> None:
    """Writes who did what (one row per target) in the action's transaction."""
    user = update.effective_user
    assert user is not None
    await audit.record(
        context.session,
        entries=[
            AuditRow(
                at=context.scope.now,
                user_id=user.id,
                user_name=user.full_name,
                action=action,
                target_id=target,
                detail=detail,
            )
            for target in targets or (None,)
        ],
    )


StaffHandler = Callable[[Update, ClinicContext], Coroutine[Any, Any, None]]


def staff_only(handler: StaffHandler) -> StaffHandler:
    """A staff command: from a patient's chat it is an unknown command, elsewhere ignored;
    in the staff group, only staff may use it.

    Nothing in the answer tells an outsider that the command exists.
    """

    async def guarded(update: Update, context: ClinicContext) -> None:
        if in_staff_chat(update, context):
            if is_staff(update, context):
                await handler(update, context)
            else:
                await refuse(update, context)
            return
        chat = update.effective_chat
        if chat is not None and chat.type == "private":
            await unknown_command(update, context)

    guarded.__doc__ = handler.__doc__
    return guarded


async def _card_appointment(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The appointment a card button names, pressed in the staff group; else None, answered."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not in_staff_chat(update, context):
        # A forged or forwarded staff button: no effect, and nothing revealed.
        await answer_button(update, context, context.text("staff.not_here"))
        return None
    if not is_staff(update, context):
        await refuse(update, context)
        return None
    appointment_id = int(query.data.split(":")[2])
    appointment = await appointments.find(context.session, appointment_id=appointment_id)
    if appointment is None:
        await answer_button(update, context, context.text("staff.already"))
    return appointment


async def decide(update: Update, context: ClinicContext) -> None:
    """Confirms or declines a request, tells the patient, and updates the card."""
    query = update.callback_query
    assert query is not None and query.data is not None
    appointment = await _card_appointment(update, context)
    if appointment is None:
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
    action = "appointment.confirm" if confirmed else "appointment.decline"
    await audit_action(update, context, action, appointment.id)
    if confirmed:
        # A move replaces the confirmed time only now, in this transaction: that time is
        # cancelled with its reminders. Declined, the move leaves it as it was.
        replaced = await appointments.finish_move(
            context.session, appointment=decided, now=context.scope.now
        )
        if replaced is not None:
            await outbox.cancel_pending(context.session, appointment_id=replaced.id)
        await after_confirmation(context, decided)
    else:
        await to_patient(context, "declined", decided)
    await answer_button(update, context, context.text("staff.done"))
    await show(update, context, *await staff_card(context.session, context.services, decided))


# -- recording a treatment: which laser, which day, then the patient is invited ------------


async def _treatable(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The card's appointment if a treatment can be recorded on it; else answers the press."""
    appointment = await _card_appointment(update, context)
    if appointment is None:
        return None
    if appointment.status not in TREATABLE or appointment.patient_id is None:
        await answer_button(update, context, context.text("staff.already"))
        await show(
            update, context, *await staff_card(context.session, context.services, appointment)
        )
        return None
    return appointment


async def _card_with(
    update: Update,
    context: ClinicContext,
    appointment: AppointmentView,
    question: str,
    rows: list[list[InlineKeyboardButton]],
) -> None:
    """The card with a question in place of its buttons."""
    text, _ = await staff_card(context.session, context.services, appointment)
    await show(update, context, f"{text}\n\n{question}", InlineKeyboardMarkup(rows))


async def choose_laser(update: Update, context: ClinicContext) -> None:
    appointment = await _treatable(update, context)
    if appointment is None:
        return
    lasers = [
        InlineKeyboardButton(
            plan.name, callback_data=f"{STAFF_TREATMENT_LASER}{appointment.id}:{laser.value}"
        )
        for laser, plan in context.content.aftercare.plans.items()
    ]
    back = InlineKeyboardButton(
        context.text("staff.back"), callback_data=f"{STAFF_CARD}{appointment.id}"
    )
    await _card_with(
        update, context, appointment, context.text("staff.which_laser"), [lasers, [back]]
    )


async def choose_day(update: Update, context: ClinicContext) -> None:
    appointment = await _treatable(update, context)
    if appointment is None:
        return
    assert update.callback_query is not None and update.callback_query.data is not None
    laser = Laser(update.callback_query.data.rsplit(":", 1)[1])
    days = [
        InlineKeyboardButton(
            context.text(key),
            callback_data=f"{STAFF_TREATMENT_DAY}{appointment.id}:{laser.value}:{days_ago}",
        )
        for days_ago, key in enumerate(("staff.today", "staff.yesterday"))
    ]
    back = InlineKeyboardButton(
        context.text("staff.back"), callback_data=f"{STAFF_TREATMENT}{appointment.id}"
    )
    name = context.content.aftercare.plans[laser].name
    question = context.text("staff.which_day", laser=name)
    await _card_with(update, context, appointment, question, [days, [back]])


async def record_treatment(update: Update, context: ClinicContext) -> None:
    """Records the treatment and invites the patient to daily aftercare messages."""
    appointment = await _treatable(update, context)
    if appointment is None:
        return
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    _, _, _, laser, days_ago = query.data.split(":")
    session, now = context.session, context.scope.now
    treated_on = local_date(now, context.services.zone) - timedelta(days=int(days_ago))
    recorded = await aftercare.of_appointment(session, appointment_id=appointment.id)
    if (
        recorded is not None
        and (recorded.laser.value, recorded.treated_on) == (laser, treated_on)
        and recorded.status in ("invited", "active")
    ):
        # A double tap, or a colleague on the same card: one invitation is enough.
        await answer_button(update, context, context.text("staff.already"))
        await show(update, context, *await staff_card(session, context.services, appointment))
        return
    assert appointment.patient_id is not None  # _treatable checked
    plan = await aftercare.invite(
        session,
        patient_id=appointment.patient_id,
        laser=Laser(laser),
        treated_on=treated_on,
        recorded_by=user.full_name[:128],
        appointment_id=appointment.id,
        now=now,
    )
    nudges.invite(context, plan, await chat_of(session, patient_id=appointment.patient_id))
    detail = f"{laser} {treated_on.isoformat()}"
    await audit_action(update, context, "appointment.treatment", appointment.id, detail=detail)
    if appointment.status == "confirmed" and now >= appointment.starts_at:
        # A treatment recorded after the consultation's time says the patient came.
        appointment = await appointments.change_status(
            session, appointment_id=appointment.id, status="completed", now=now
        )
    await answer_button(update, context, context.text("staff.recorded"))
    await show(update, context, *await staff_card(session, context.services, appointment))


async def card(update: Update, context: ClinicContext) -> None:
    """« Back: the card as it is now."""
    if (appointment := await _card_appointment(update, context)) is None:
        return
    await show(update, context, *await staff_card(context.session, context.services, appointment))


async def open_card(update: Update, context: ClinicContext) -> None:
    """A card opened from the agenda or a search: a new message, the list stays."""
    if (appointment := await _card_appointment(update, context)) is None:
        return
    await send(update, context, *await staff_card(context.session, context.services, appointment))


# -- after the time: came or no-show; before it: cancel with a reason ------------------


async def _confirmed(update: Update, context: ClinicContext) -> AppointmentView | None:
    """The card's appointment if it is confirmed; else the card as it is now."""
    appointment = await _card_appointment(update, context)
    if appointment is None:
        return None
    if appointment.status != "confirmed":
        await answer_button(update, context, context.text("staff.already"))
        await show(
            update, context, *await staff_card(context.session, context.services, appointment)
        )
        return None
    return appointment


async def attendance(update: Update, context: ClinicContext) -> None:
    """Came or no-show, once the consultation has started."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if (appointment := await _confirmed(update, context)) is None:
        return
    if context.scope.now < appointment.starts_at:
        await answer_button(update, context, context.text("staff.not_yet"))
        return
    status = "completed" if query.data.startswith(STAFF_CAME) else "no_show"
    marked = await appointments.change_status(
        context.session, appointment_id=appointment.id, status=status, now=context.scope.now
    )
    # Reminders are behind by now; anything left for this appointment is moot.
    await outbox.cancel_pending(context.session, appointment_id=appointment.id)
    await audit_action(update, context, f"appointment.{status}", appointment.id)
    await answer_button(update, context, context.text("staff.done"))
    await show(update, context, *await staff_card(context.session, context.services, marked))


async def ask_cancel_reason(update: Update, context: ClinicContext) -> None:
    if (appointment := await _confirmed(update, context)) is None:
        return
    reasons = [
        [
            InlineKeyboardButton(
                context.text(f"staff.cancel_reason_{number}"),
                callback_data=f"{STAFF_CANCEL_REASON}{appointment.id}:{number}",
            )
        ]
        for number in range(1, CANCEL_REASONS + 1)
    ]
    keep = InlineKeyboardButton(
        context.text("staff.keep"), callback_data=f"{STAFF_CARD}{appointment.id}"
    )
    await _card_with(
        update, context, appointment, context.text("staff.cancel_why"), [*reasons, [keep]]
    )


async def cancel(update: Update, context: ClinicContext) -> None:
    """Cancels with the reason tapped; the patient reads it with a way to rebook."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if (appointment := await _confirmed(update, context)) is None:
        return
    number = int(query.data.rsplit(":", 1)[1])
    cancelled = await appointments.change_status(
        context.session,
        appointment_id=appointment.id,
        status="cancelled",
        now=context.scope.now,
        cancelled_by="staff",
        cancel_reason=context.text(f"staff.cancel_reason_{number}"),
    )
    await outbox.cancel_pending(context.session, appointment_id=appointment.id)
    await audit_action(
        update, context, "appointment.cancel", appointment.id, detail=f"reason {number}"
    )
    if cancelled.patient_id is not None:
        await to_patient(context, "cancelled_by_clinic", cancelled)
    await answer_button(update, context, context.text("staff.done"))
    await show(update, context, *await staff_card(context.session, context.services, cancelled))


# -- the group becomes a supergroup -----------------------------------------------------


async def follow_move(
    services: Services, session: AsyncSession, *, old_chat_id: int, new_chat_id: int, now: datetime
) -> None:
    """Posts to the group's new id from now on, pending messages included.

    Recorded whoever reports it, so a second process (or a row queued just before the
    move) is re-addressed too and never refused again.
    """
    moved = await chat_migrations.record(
        session, old_chat_id=old_chat_id, new_chat_id=new_chat_id, now=now
    )
    if services.staff_chat.id != old_chat_id:
        return
    services.staff_chat.id = new_chat_id
    services.staff.stale = True  # the same people, but ask the new id to be sure
    log.warning(
        "the staff group became a supergroup old_chat_id=%s new_chat_id=%s pending_moved=%s; "
        "set STAFF_CHAT_ID=%s",
        old_chat_id,
        new_chat_id,
        moved,
        new_chat_id,
    )


async def group_moved(update: Update, context: ClinicContext) -> None:
    """Telegram's service message in the old group (migrate_to) or the new one (migrate_from)."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    if old != context.services.staff_chat_id:
        return  # some other group the bot is in
    await follow_move(
        context.services, context.session, old_chat_id=old, new_chat_id=new, now=context.scope.now
    )


# -- who is staff: the group's administrators change --------------------------------------


async def member_changed(update: Update, context: ClinicContext) -> None:
    """Someone in the staff group was promoted, demoted, or left: staff from now on, or
    not. Telegram sends these only while the bot is an administrator of the group; the
    periodic fetch (bot.staff_admins) catches the rest."""
    change = update.chat_member
    if change is None or change.chat.id != context.services.staff_chat_id:
        return
    member = change.new_chat_member
    admin = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
    context.services.staff.promoted(member.user.id, admin)
    context.services.staff.stale = True
    log.info("staff group member changed user_id=%s admin=%s", member.user.id, admin)


def register(application: ClinicApp) -> None:
    appointment_id = r"\d{1,18}"
    lasers = "|".join(laser.value for laser in Laser)
    application.add_handlers(
        [
            CallbackQueryHandler(decide, pattern=pattern(STAFF_CONFIRM, appointment_id)),
            CallbackQueryHandler(decide, pattern=pattern(STAFF_DECLINE, appointment_id)),
            CallbackQueryHandler(card, pattern=pattern(STAFF_CARD, appointment_id)),
            CallbackQueryHandler(open_card, pattern=pattern(STAFF_OPEN, appointment_id)),
            CallbackQueryHandler(attendance, pattern=pattern(STAFF_CAME, appointment_id)),
            CallbackQueryHandler(attendance, pattern=pattern(STAFF_NO_SHOW, appointment_id)),
            CallbackQueryHandler(ask_cancel_reason, pattern=pattern(STAFF_CANCEL, appointment_id)),
            CallbackQueryHandler(
                cancel,
                pattern=pattern(STAFF_CANCEL_REASON, f"{appointment_id}:[1-{CANCEL_REASONS}]"),
            ),
            MessageHandler(filters.StatusUpdate.MIGRATE, group_moved),
            ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER),
            CallbackQueryHandler(choose_laser, pattern=pattern(STAFF_TREATMENT, appointment_id)),
            CallbackQueryHandler(
                choose_day, pattern=pattern(STAFF_TREATMENT_LASER, f"{appointment_id}:({lasers})")
            ),
            CallbackQueryHandler(
                record_treatment,
                pattern=pattern(STAFF_TREATMENT_DAY, f"{appointment_id}:({lasers}):[01]"),
            ),
        ]
    )
