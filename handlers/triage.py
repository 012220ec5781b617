"""A problem after a treatment: the menu's entry, and warning signs in typed text.

Anyone can reach it, whether their aftercare messages are on, declined, stopped or
over. A warning sign (tapped, or read in what the patient typed, clinic.triage) gets
the call-the-clinic answer with the phone; staff are alerted at once for anyone the
clinic has treated. Never a diagnosis: the bot only says to call.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from clinic.aftercare import local_date, plan_day
from clinic.phone import display_phone
from clinic.triage import Finding, read_signs
from clinic.when import day_label
from db import aftercare, patients
from db.outbox import Due
from handlers.callbacks import pattern
from handlers.context import ClinicContext, Services
from handlers.navigation import CONTACT, PROBLEM, back_to_menu_button
from handlers.notices import renders, send_after_commit
from handlers.outgoing import Outgoing
from handlers.replies import WARNING_SIGN_STEP, answer_button, health_step, send, show

log = logging.getLogger(__name__)

SIGN = "tr:s:"  # + sign key: a sign tapped on the problem screen
ALERT = "triage_alert"


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
        [InlineKeyboardButton(sign.button, callback_data=f"{SIGN}{sign.key}")]
        for sign in context.content.aftercare.signs
    ]
    rows.append([InlineKeyboardButton(context.text("triage.contact"), callback_data=CONTACT)])
    rows.append([back_to_menu_button(context)])
    context.flow.reset()
    await show(update, context, context.text("triage.ask"), InlineKeyboardMarkup(rows))


async def sign_tapped(update: Update, context: ClinicContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    key = query.data.removeprefix(SIGN)
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


async def _report(update: Update, context: ClinicContext, findings: Sequence[Finding]) -> None:
    """Call the clinic now; staff hear of it at once if the clinic treated this patient."""
    health_step(context, WARNING_SIGN_STEP)
    patient_id = context.scope.patient_id
    assert patient_id is not None
    staff_chat_id = context.services.staff_chat_id
    treated = await aftercare.newest(context.session, patient_id=patient_id) is not None
    alerted = treated and staff_chat_id is not None
    if alerted:
        assert staff_chat_id is not None
        send_after_commit(
            context,
            ALERT,
            staff_chat_id,
            patient_id=patient_id,
            payload={
                "signs": [finding.sign for finding in findings],
                "words": [word for finding in findings for word in finding.words],
            },
        )
    log.info(
        "warning sign reported signs=%s alerted=%s",
        ",".join(finding.sign for finding in findings),
        alerted,
    )
    key = "triage.call_now" if alerted else "triage.call_now_alone"
    await send(update, context, context.text(key), _call_keyboard(context))


@renders(ALERT)
async def render_alert(
    session: AsyncSession, services: Services, due: Due, now: datetime
) -> Outgoing | None:
    """The staff group's alert: who, what they reported, their treatment. The row goes
    with the patient's data if they have it deleted; blocking the bot or stopping a
    plan leaves it (only rows to the patient's own chat stop then)."""
    patient_id = due.patient_id
    if patient_id is None:
        return None
    texts, content = services.content.texts, services.content.aftercare
    person = await patients.contact(session, patient_id=patient_id)
    plan = await aftercare.newest(session, patient_id=patient_id)
    labels = [sign.button if (sign := content.sign(key)) else key for key in due.payload["signs"]]
    treatment = "—"
    if plan is not None:
        treatment = texts(
            "triage.staff_treatment",
            laser=content.plans[plan.laser].name,
            number=str(plan_day(plan.treated_on, local_date(now, services.zone))),
            day=day_label(plan.treated_on),
        )
    words = due.payload.get("words") or []
    said = texts("triage.staff_words", words=html.escape(", ".join(words))) if words else ""
    text = texts(
        "triage.staff_alert",
        signs=html.escape("; ".join(labels)),
        name=f'<a href="tg://user?id={person.telegram_id}">{html.escape(person.name)}</a>',
        patient_phone=display_phone(person.phone) if person.phone else texts("staff.no_phone"),
        treatment=treatment,
        said=said,
    )
    return Outgoing(text)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handlers(
        [
            CallbackQueryHandler(problem, pattern=f"^{PROBLEM}$"),
            CallbackQueryHandler(sign_tapped, pattern=pattern(SIGN, "[a-z0-9_]{1,32}")),
        ]
    )
