"""A problem after a treatment: the menu's entry, warning signs in typed text, and the
staff group's alert.

Anyone can reach it, whether their aftercare messages are on, declined, stopped or
over. A warning sign (tapped here or on an aftercare message, or read in what the
patient typed, clinic.triage) gets the call-the-clinic answer with the phone, and
Health811 when the clinic is closed; staff are alerted at once for anyone the clinic
has treated. The patient hears that the clinic knows only once the alert is in the
staff group, and who is calling back when someone taps "I'm on it". Never a
diagnosis: the bot only says to call.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler

from clinic.aftercare import plan_day
from clinic.content import Content
from clinic.phone import display_phone
from clinic.schedule import is_open
from clinic.triage import Finding, read_signs
from clinic.when import local_date
from handlers import staff
from handlers.callbacks import (
    STAFF_ON_IT,
    TRIAGE_SIGN,
    on_it_data,
    parse_on_it,
    parse_triage_sign,
    pattern,
    triage_sign_data,
)
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import CONTACT, PROBLEM, back_to_menu_button
from handlers.notices import renders
from handlers.outgoing import Outgoing, Settle, settles
from handlers.replies import WARNING_SIGN_STEP, answer_button, health_step, send, show
from services import triage
from services.context import Services
from services.outbox import Due
from services.triage import ALERT, HEARD, ON_IT

log = logging.getLogger(__name__)


def _call_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(context.text("triage.contact"), callback_data=CONTACT)],
            [back_to_menu_button(context)],
        ]
    )


async def problem(update: Update, context: ClinicContext) -> None:
    """The warning signs as buttons, with the clinic's phone one tap away."""
    rows = [
        [InlineKeyboardButton(sign.button, callback_data=triage_sign_data(sign.key))]
        for sign in context.content.aftercare.signs
    ]
    rows.append([InlineKeyboardButton(context.text("triage.contact"), callback_data=CONTACT)])
    rows.append([back_to_menu_button(context)])
    context.flow.reset()
    await show(update, context, context.text("triage.ask"), InlineKeyboardMarkup(rows))


async def sign_tapped(update: Update, context: ClinicContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    key = parse_triage_sign(query.data)
    if context.content.aftercare.sign(key) is None:  # a sign the clinic has since removed
        await answer_button(update, context, context.text("fallback.old_button"))
        await problem(update, context)
        return
    await _report(update, context, [Finding(key, ())])


async def typed_signs(update: Update, context: ClinicContext) -> bool:
    """Reads typed text for warning signs; True if it reported some (and answered)."""
    message = update.message
    if message is None or not message.text:
        return False
    findings = read_signs(message.text, context.content.aftercare.signs)
    if not findings:
        return False
    await _report(update, context, findings)
    return True


def call_now(context: ClinicContext) -> str:
    """Call the clinic now; out of hours, Health811 as well."""
    text = context.text("triage.call_now")
    if not is_open(context.content.schedule, context.scope.now, context.services.zone):
        text += context.text("triage.closed_now")
    return text


async def answer_sign(update: Update, context: ClinicContext) -> None:
    """The answer to any warning sign, wherever it was reported."""
    await send(update, context, call_now(context), _call_keyboard(context))


async def _report(update: Update, context: ClinicContext, findings: Sequence[Finding]) -> None:
    """Call the clinic now; staff hear of it at once if the clinic treated this patient."""
    health_step(context, WARNING_SIGN_STEP)
    patient_id = context.scope.patient_id
    assert patient_id is not None
    reported = await triage.report(
        context.session,
        patient_id=patient_id,
        findings=findings,
        staff_chat_id=context.services.staff_chat_id,
        now=context.scope.now,
    )
    log.info(
        "warning sign reported signs=%s alerted=%s",
        ",".join(finding.sign for finding in findings),
        reported.alerted,
    )
    await answer_sign(update, context)


def alert_extras(
    content: Content, patient_id: int, telegram_id: int
) -> tuple[InlineKeyboardMarkup, Settle]:
    """What every warning-sign alert carries: the "I'm on it" button, and the patient
    being told once the alert is in the group."""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    content.texts("triage.on_it_button"),
                    callback_data=on_it_data(patient_id),
                )
            ]
        ]
    )
    return keyboard, Settle(HEARD, (patient_id, telegram_id), if_delivered=True)


@settles(HEARD)
async def alerts_delivered(
    session: AsyncSession, services: Services, items: Sequence[tuple[int, int]], now: datetime
) -> None:
    await triage.heard(session, delivered=items, now=now)


@renders(HEARD)
async def render_heard(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    return Outgoing(content.texts("triage.heard"))


@renders(ON_IT)
async def render_on_it(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    staff = html.escape(str(due.payload.get("staff") or ""))
    return Outgoing(content.texts("triage.on_it", staff=staff))


async def on_it(update: Update, context: ClinicContext) -> None:
    """A staff member takes the alert: the patient is told who is calling back, and the
    button gives way to their name, so the others know."""
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    assert query is not None and query.data is not None and user is not None
    if chat is None or chat.id != context.services.staff_chat_id:
        await answer_button(update, context, context.text("staff.not_here"))
        return
    if not staff.is_staff(update, context):
        await staff.refuse(update, context)
        return
    patient_id = parse_on_it(query.data)
    taken = await triage.take(
        context.session, patient_id=patient_id, staff=user.first_name, now=context.scope.now
    )
    if not taken:  # their data was deleted since
        await answer_button(update, context, context.text("staff.already"))
        return
    await staff.audit_action(update, context, "alert.taken", patient_id)
    log.info("warning sign taken by staff patient_id=%s", patient_id)
    alert = query.message
    text = alert.text_html if isinstance(alert, Message) and alert.text else ""
    done = context.text("triage.on_it_done", staff=html.escape(user.first_name))
    await show(update, context, f"{text}\n\n{done}".strip())


@renders(ALERT)
async def render_alert(
    session: AsyncSession, services: Services, due: Due, now: datetime, content: Content
) -> Outgoing | None:
    """The staff group's alert: who, what they reported, their treatment. The row goes
    with the patient's data if they have it deleted; blocking the bot or stopping a
    plan leaves it (only rows to the patient's own chat stop then)."""
    patient_id = due.patient_id
    if patient_id is None:
        return None
    texts, care = content.texts, content.aftercare
    view = await triage.alert_view(session, patient_id=patient_id)
    person, plan = view.contact, view.plan
    labels = [sign.button if (sign := care.sign(key)) else key for key in due.payload["signs"]]
    treatment = "—"
    if plan is not None:
        treatment = texts(
            "triage.staff_treatment",
            laser=care.plans[plan.laser].name,
            number=str(plan_day(plan.treated_on, local_date(now, services.zone))),
            day=content.dates(services.zone).day(plan.treated_on),
        )
    words = due.payload.get("words") or []
    said = texts("triage.staff_words", words=html.escape(", ".join(words))) if words else ""
    keyboard, settle = alert_extras(content, patient_id, person.telegram_id)
    text = texts(
        "triage.staff_alert",
        signs=html.escape("; ".join(labels)),
        name=f'<a href="tg://user?id={person.telegram_id}">{html.escape(person.name)}</a>',
        patient_phone=display_phone(person.phone) if person.phone else texts("staff.no_phone"),
        treatment=treatment,
        said=said,
    )
    return Outgoing(text, keyboard, settle=settle)


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CallbackQueryHandler(problem, pattern=f"^{PROBLEM}$"),
            CallbackQueryHandler(sign_tapped, pattern=pattern(TRIAGE_SIGN, "[a-z0-9_]{1,32}")),
            CallbackQueryHandler(on_it, pattern=pattern(STAFF_ON_IT, "[0-9]{1,18}")),
        ]
    )
