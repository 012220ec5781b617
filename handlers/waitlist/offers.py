"""Offers of a freed time: the message (rendered when due), "Book it", and the message
to those who were offered a time someone else took."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from clinic.content import Content
from clinic.waitlist import OfferStatus
from handlers.booking.confirm import show_booked
from handlers.booking.screens import calendar
from handlers.callbacks import WL_LEAVE, take_data, trailing_id
from handlers.context import ClinicContext
from handlers.navigation import MENU, back_to_menu
from handlers.notices import EXPIRED, Expired, renders
from handlers.outgoing import Outgoing
from handlers.replies import answer_button, show
from services import booking, waitlist, waitlist_take
from services.context import Services
from services.notify import Due


async def take(update: Update, context: ClinicContext) -> None:
    """ "Book it": the time is the patient's if nobody took it first."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if context.scope.patient_id is None:  # not a patient's private chat
        await answer_button(update, context)
        return
    context.flow.reset()
    result = await waitlist_take.take(
        context.session,
        calendar(context),
        patient_id=context.scope.patient_id,
        offer_id=trailing_id(query.data),
        staff_confirm=context.services.staff_confirm,
    )
    match result:
        case booking.Booked():
            await show_booked(update, context, result)
        case waitlist_take.Gone(starts_at=starts_at):
            text = context.text("waitlist.taken_first", when=context.dates.when(starts_at))
            await answer_button(update, context, context.text("booking.taken"))
            await show(update, context, text, back_to_menu(context))
        case waitlist_take.Lapsed(starts_at=starts_at, expired_at=expired_at):
            text = context.text(
                "waitlist.lapsed",
                when=context.dates.when(starts_at),
                time=context.dates.time(expired_at),
            )
            await show(update, context, text, back_to_menu(context))
        case waitlist_take.NotOffered():
            await show(update, context, context.text("waitlist.not_offered"), back_to_menu(context))


@renders(waitlist.OFFER)
async def render_offer(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | Expired | None:
    """The freed time, while it can still be taken; a time taken again meanwhile, or a
    wait that ended, sends nothing; an offer whose hold ran out unsent is expired."""
    found = await waitlist.offer(session, offer_id=int(due.payload.get("offer", 0)))
    if found is None or found.status != OfferStatus.OPEN or not found.entry_open:
        return None
    if now >= found.expires_at:
        return EXPIRED
    offering = services.waitlist
    if not await waitlist.still_free(session, offering, starts_at=found.starts_at, now=now):
        return None
    dates, texts = content.dates(services.zone), content.texts
    text = texts(
        "waitlist.offer",
        when=dates.when(found.starts_at),
        time=dates.time(found.expires_at),
    )
    moving = await waitlist.moving(session, offering, offer=found, now=now)
    if moving is not None:
        text += "\n\n" + texts("waitlist.offer_moves", old_when=dates.when(moving))
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts("waitlist.book_it"), callback_data=take_data(found.id))],
            [InlineKeyboardButton(texts("waitlist.leave"), callback_data=WL_LEAVE)],
            [InlineKeyboardButton(texts("menu.back_to_menu"), callback_data=MENU)],
        ]
    )
    return Outgoing(text, keyboard)


@renders(waitlist.GONE)
async def render_gone(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    """Someone else took a time this patient was offered (unless they heard already)."""
    found = await waitlist.offer(session, offer_id=int(due.payload.get("offer", 0)))
    if found is None or found.status != OfferStatus.GONE:
        return None
    dates = content.dates(services.zone)
    when = dates.when(found.starts_at)
    entry = await waitlist.entry_of(
        session, patient_id=found.patient_id, now=now, zone=services.zone
    )
    if entry is None:
        return Outgoing(content.texts("waitlist.gone", when=when))
    text = content.texts("waitlist.gone_still_waiting", when=when, day=dates.day(entry.until))
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(content.texts("waitlist.leave"), callback_data=WL_LEAVE)]]
    )
    return Outgoing(text, keyboard)
