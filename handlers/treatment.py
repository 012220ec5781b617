"""The patient's side of a planned treatment: the offer to book it (which opens the
booking flow with a treatment's calendar), its preparation messages, and the note that
the aftercare plan they agreed to has started. Renderers only read."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from clinic.content import Content
from clinic.treatment import Kind
from handlers import my_appointments
from handlers.booking.screens import patient, save, state_of
from handlers.booking.state import DAY
from handlers.callbacks import TREAT_BOOK, appointment_data, pattern, trailing_id
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import MENU
from handlers.notices import EXPIRED, Expired, renders
from handlers.outgoing import Outgoing
from handlers.replies import answer_button
from handlers.steps import show_step
from services import aftercare, booking, treatment
from services.appointments import AFTERCARE_STARTED
from services.context import Services
from services.outbox import Due


def book_button(content: Content, consultation_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        content.texts("treatment.book"), callback_data=appointment_data(TREAT_BOOK, consultation_id)
    )


def _minutes(content: Content) -> str:
    return str(int(content.schedule.treatments.length.total_seconds() // 60))


@renders(treatment.OFFER)
async def render_offer(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    consultation_id = int(due.payload["consultation"])
    found = await treatment.bookable(
        session, patient_id=due.patient_id, consultation_id=consultation_id
    )
    if not isinstance(found, treatment.Bookable):
        return None  # booked already, or the patient's data was deleted
    outcome = found.outcome
    assert outcome.laser is not None
    text = content.texts(
        "treatment.offer",
        laser=content.aftercare.plans[outcome.laser].name,
        number=str(outcome.sessions or 1),
        minutes=_minutes(content),
    )
    keyboard = InlineKeyboardMarkup([[book_button(content, consultation_id)]])
    return Outgoing(text, keyboard)


async def book(update: Update, context: ClinicContext) -> None:
    """ "Book my treatment": the booking flow, on a treatment's calendar."""
    query = update.callback_query
    assert query is not None and query.data is not None
    consultation_id = trailing_id(query.data)
    found = await treatment.bookable(
        context.session, patient_id=context.scope.patient_id, consultation_id=consultation_id
    )
    if isinstance(found, treatment.AllBooked):
        await my_appointments.show_list(
            update, context, notice=context.text("treatment.all_booked")
        )
        return
    if not isinstance(found, treatment.Bookable):
        await answer_button(update, context, context.text("appointments.not_available"))
        return
    begun = await booking.begin(
        context.session,
        patient_id=patient(context),
        now=context.scope.now,
        per_patient=context.content.schedule.per_patient,
        kind=Kind.TREATMENT,
    )
    if isinstance(begun, booking.LimitReached):
        await my_appointments.show_list(update, context, notice=context.text("treatment.limit"))
        return
    user = update.effective_user
    assert user is not None
    state = state_of(context)
    state.week, state.reschedule, state.name, state.phone = (
        0,
        None,
        user.full_name[:64],
        begun.phone,
    )
    state.treatment, state.laser, state.aftercare = consultation_id, found.order.laser, False
    save(context, DAY, state)
    await show_step(update, context)


@renders(treatment.PREPARATION)
async def render_preparation(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | Expired | None:
    found = await treatment.preparation_to_send(session, due=due, now=now)
    if found is None:
        return None
    if isinstance(found, treatment.TooLate):
        return EXPIRED
    appointment = found.appointment
    assert appointment.laser is not None
    texts = content.texts
    text = texts(
        f"preparation.{found.stage}",
        when=content.dates(services.zone).when(appointment.starts_at),
        laser=content.aftercare.plans[appointment.laser].name,
    )
    if found.note and found.stage == "one_week":
        text += "\n\n" + texts("preparation.note", note=html.escape(found.note))
    text += "\n\n" + texts("preparation.footer")
    menu = InlineKeyboardButton(content.texts("menu.back_to_menu"), callback_data=MENU)
    keyboard = InlineKeyboardMarkup([[menu]])
    return Outgoing(text, keyboard)


@renders(AFTERCARE_STARTED)
async def render_aftercare_started(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    plan = await aftercare.running(session, patient_id=due.patient_id or 0)
    if plan is None or plan.id != due.plan_id:
        return None  # stopped meanwhile
    first = datetime.fromisoformat(str(due.payload["first"]))
    text = content.texts(
        "treatment.aftercare_started",
        laser=content.aftercare.plans[plan.laser].name,
        when=content.dates(services.zone).when(first),
    )
    return Outgoing(text)


def register(application: ClinicApp) -> None:
    application.add_handlers([CallbackQueryHandler(book, pattern=pattern(TREAT_BOOK, r"\d{1,18}"))])
