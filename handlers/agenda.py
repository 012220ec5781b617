"""Staff commands in the group: /today, /tomorrow, /week, /export and /patient."""

from __future__ import annotations

import html
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from clinic.agenda import (
    MAX_EXPORT_DAYS,
    WEEK,
    ExportRow,
    RangeProblem,
    agenda_days,
    appointments_csv,
    audit_csv,
    export_range,
)
from clinic.phone import display_phone, normalise_phone
from clinic.when import local_date
from handlers.callbacks import STAFF_OPEN, appointment_data
from handlers.context import ClinicApp, ClinicContext
from handlers.notices import patient_name, prescreen_line
from handlers.replies import HEALTH_STEPS, send, send_document
from handlers.staff import actor, staff_only
from services import staff, waitlist
from services.staff import AppointmentView, PatientFile, Summary
from services.waitlist import Waiting

# A message holds 4096 characters and a keyboard about 100 buttons; past this the
# agenda says how many more there are and points to /export.
MAX_LISTED = 40
# /patient shows this many matches, each with its newest appointments and messages.
MAX_FOUND, APPOINTMENTS_SHOWN, MESSAGES_SHOWN, MESSAGE_CHARS = 3, 5, 5, 100
MAX_QUERY = 64


def _today(context: ClinicContext) -> date:
    return local_date(context.scope.now, context.services.zone)


def _status(context: ClinicContext, appointment: AppointmentView) -> str:
    return context.text(f"agenda.status_{appointment.status}")


async def _agenda(
    update: Update,
    context: ClinicContext,
    first: date,
    days: int,
    title: str,
    waiting: list[Waiting] | None = None,
) -> None:
    zone = context.services.zone
    found = await staff.agenda(context.session, first=first, days=days, zone=zone)
    lines, buttons, shown_day = [title], [], None
    for appointment in found[:MAX_LISTED]:
        day = local_date(appointment.starts_at, zone)
        if days > 1 and day != shown_day:
            lines.append("\n" + context.text("agenda.day", day=context.dates.day(day)))
            shown_day = day
        name = patient_name(context.services, appointment)
        at = context.dates.time(appointment.starts_at)
        lines.append(
            context.text("agenda.line", time=at, name=name, status=_status(context, appointment))
        )
        label = f"{at} {appointment.name or ''}"
        if days > 1:
            label = f"{context.dates.weekday(day)} {label}"
        buttons.append(
            [
                InlineKeyboardButton(
                    label[:60], callback_data=appointment_data(STAFF_OPEN, appointment.id)
                )
            ]
        )
    if not found:
        lines.append(context.text("agenda.nothing"))
    elif len(found) > MAX_LISTED:
        lines.append(context.text("agenda.more", count=str(len(found) - MAX_LISTED)))
    if waiting:
        lines.append("\n" + context.text("waitlist.staff_title", count=str(len(waiting))))
        for one in waiting[:MAX_LISTED]:
            name = " ".join(filter(None, (one.first_name, one.last_name)))
            lines.append(
                context.text(
                    "waitlist.staff_line",
                    name=html.escape(name),
                    day=context.dates.day(one.entry.until),
                    joined=context.dates.day(local_date(one.entry.created_at, zone)),
                )
            )
    keyboard = InlineKeyboardMarkup(buttons) if buttons else None
    await send(update, context, "\n".join(lines), keyboard)


async def today(update: Update, context: ClinicContext) -> None:
    """Today's consultations, each with a button to its card."""
    day, _ = agenda_days(context.scope.now, context.services.zone)
    await _agenda(update, context, day, 1, context.text("agenda.today", day=context.dates.day(day)))


async def tomorrow(update: Update, context: ClinicContext) -> None:
    day, _ = agenda_days(context.scope.now, context.services.zone, after=1)
    await _agenda(
        update, context, day, 1, context.text("agenda.tomorrow", day=context.dates.day(day))
    )


async def week(update: Update, context: ClinicContext) -> None:
    """Today and the six days after it."""
    first, last = agenda_days(context.scope.now, context.services.zone, count=WEEK)
    title = context.text(
        "agenda.week", first=context.dates.day(first), last=context.dates.day(last)
    )
    waiting = await waitlist.everyone_waiting(
        context.session, now=context.scope.now, zone=context.services.zone
    )
    await _agenda(update, context, first, WEEK, title, waiting)


async def _export_days(
    update: Update, context: ClinicContext, arguments: list[str]
) -> tuple[date, date] | None:
    """The export's first and last day; None when the dates were wrong (and said so)."""
    try:
        return export_range(arguments, _today(context))
    except RangeProblem as problem:
        text = context.text(
            f"agenda.export_{problem.reason}",
            first=problem.first.isoformat() if problem.first else "",
            last=problem.last.isoformat() if problem.last else "",
            days=str(problem.days),
            max=str(MAX_EXPORT_DAYS),
        )
        await send(update, context, text)
        return None


async def export(update: Update, context: ClinicContext) -> None:
    """The appointments of a range of days as a CSV file; `/export audit`: staff actions."""
    arguments = list(context.args or [])
    if arguments and arguments[0].lower() == "audit":
        await export_audit(update, context, arguments[1:])
        return
    if (days := await _export_days(update, context, arguments)) is None:
        return
    first, last = days
    zone = context.services.zone
    found = await staff.export_appointments(
        context.session, actor(update), first=first, last=last, zone=zone, now=context.scope.now
    )
    rows = [
        ExportRow(
            id=appointment.id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            status=appointment.status,
            name=appointment.name,
            phone=appointment.phone,
            prescreen=html.unescape(prescreen_line(context.services, summary)),
            confirmed_by=appointment.decided_by,
            cancelled_by=appointment.cancelled_by,
            cancel_reason=appointment.cancel_reason,
            booked_at=appointment.created_at,
        )
        for appointment, summary in found
    ]
    await send_document(
        update,
        context,
        f"appointments-{first.isoformat()}-to-{last.isoformat()}.csv",
        appointments_csv(rows, zone),
        context.text(
            "agenda.export_caption",
            count=str(len(rows)),
            first=first.isoformat(),
            last=last.isoformat(),
        ),
    )


async def export_audit(update: Update, context: ClinicContext, arguments: list[str]) -> None:
    """Who looked up a patient, exported, or decided on a card, in a range of days."""
    if (days := await _export_days(update, context, arguments)) is None:
        return
    first, last = days
    zone = context.services.zone
    rows = await staff.export_audit(
        context.session, actor(update), first=first, last=last, zone=zone, now=context.scope.now
    )
    await send_document(
        update,
        context,
        f"audit-{first.isoformat()}-to-{last.isoformat()}.csv",
        audit_csv(rows, zone),
        context.text(
            "agenda.export_audit_caption",
            count=str(len(rows)),
            first=first.isoformat(),
            last=last.isoformat(),
        ),
    )


async def patient(update: Update, context: ClinicContext) -> None:
    """Finds patients by name or phone: appointments, newest pre-screen, recent messages."""
    query = " ".join(context.args or []).strip()[:MAX_QUERY]
    if len(query) < 2:
        await send(update, context, context.text("agenda.patient_usage"))
        return
    digits = sum(character.isdigit() for character in query)
    found = await staff.find_patients(
        context.session,
        actor(update),
        phone=normalise_phone(query) if digits >= 7 else None,
        words=query,
        limit=MAX_FOUND,
        appointments_shown=APPOINTMENTS_SHOWN,
        messages_shown=MESSAGES_SHOWN,
        now=context.scope.now,
        zone=context.services.zone,
    )
    if not found.shown:
        await send(update, context, context.text("agenda.patient_none", query=html.escape(query)))
        return
    for file in found.shown:
        text, keyboard = _patient_card(context, file)
        await send(update, context, text, keyboard)
    if found.more:
        await send(update, context, context.text("agenda.patient_more"))


def _prescreen_outcome(context: ClinicContext, newest: Summary | None) -> str:
    """The newest pre-screen's outcome and day, nothing of its reasons or answers."""
    if newest is None:
        return context.text("staff.no_prescreen")
    day = local_date(newest.completed_at, context.services.zone)
    return context.text(
        "agenda.patient_prescreen",
        outcome=context.text(f"agenda.patient_prescreen_{newest.outcome}"),
        day=context.dates.day_year(day),
    )


def _patient_card(
    context: ClinicContext, file: PatientFile
) -> tuple[str, InlineKeyboardMarkup | None]:
    match, newest = file.patient, file.prescreen
    parts = [
        context.text(
            "agenda.patient",
            name=f'<a href="tg://user?id={match.telegram_id}">{html.escape(match.name)}</a>',
            username=f" @{match.username}" if match.username else "",
            patient_phone="—" if match.phone is None else display_phone(match.phone),
            prescreen=_prescreen_outcome(context, newest),
        )
    ]
    if file.waiting_until is not None:
        parts[0] += "\n" + context.text(
            "waitlist.patient_waiting", day=context.dates.day(file.waiting_until)
        )
    buttons = []
    if file.appointments:
        lines = [context.text("agenda.patient_appointments")]
        for appointment in file.appointments:
            when = context.dates.when(appointment.starts_at)
            lines.append(
                context.text(
                    "agenda.patient_appointment", when=when, status=_status(context, appointment)
                )
            )
            buttons.append(
                [
                    InlineKeyboardButton(
                        when[:60], callback_data=appointment_data(STAFF_OPEN, appointment.id)
                    )
                ]
            )
        parts.append("\n".join(lines))
    else:
        parts.append(context.text("agenda.patient_no_appointments"))
    if file.messages:
        lines = [context.text("agenda.patient_messages")]
        for entry in file.messages:
            if entry.kind in HEALTH_STEPS:
                shown = context.text(f"agenda.logged_{entry.kind}")
            else:
                shown = entry.text if entry.text else f"[{entry.kind}]"
            if len(shown) > MESSAGE_CHARS:
                shown = shown[: MESSAGE_CHARS - 1] + "…"
            lines.append(
                context.text(
                    "agenda.patient_message",
                    arrow="→" if entry.direction.value == "in" else "←",
                    when=context.dates.when(entry.at),
                    text=html.escape(shown),
                )
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts), InlineKeyboardMarkup(buttons) if buttons else None


async def staff_help(update: Update, context: ClinicContext) -> None:
    """/help in the staff group: the staff commands (patients get theirs in private)."""
    await send(update, context, context.text("agenda.staff_help"))


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("help", staff_only(staff_help), filters=~filters.ChatType.PRIVATE),
            CommandHandler("today", staff_only(today)),
            CommandHandler("tomorrow", staff_only(tomorrow)),
            CommandHandler("week", staff_only(week)),
            CommandHandler("export", staff_only(export)),
            CommandHandler("patient", staff_only(patient)),
        ]
    )
