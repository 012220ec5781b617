"""The staff group: the actions on appointment cards, the group's own changes, and who
may act there (access: also used by the staff commands and the triage alerts)."""

from __future__ import annotations

from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from clinic.aftercare import Laser
from handlers.callbacks import (
    STAFF_CAME,
    STAFF_CANCEL,
    STAFF_CANCEL_REASON,
    STAFF_CARD,
    STAFF_CONFIRM,
    STAFF_DECLINE,
    STAFF_NO_SHOW,
    STAFF_OPEN,
    STAFF_OUTCOME,
    STAFF_OUTCOME_LASER,
    STAFF_OUTCOME_NOTE,
    STAFF_OUTCOME_PLAN,
    STAFF_OUTCOME_SESSIONS,
    STAFF_OUTCOME_SET,
    STAFF_TREATMENT,
    STAFF_TREATMENT_DAY,
    STAFF_TREATMENT_LASER,
    pattern,
)
from handlers.context import ClinicApp
from handlers.staff.access import (
    actor,
    audit_action,
    in_staff_chat,
    is_staff,
    refuse,
    staff_only,
)
from handlers.staff.cards import (
    CANCEL_REASONS,
    ask_cancel_reason,
    attendance,
    cancel,
    card,
    choose_day,
    choose_laser,
    decide,
    open_card,
    record_treatment,
)
from handlers.staff.group import group_moved, member_changed
from handlers.staff.note import ask_note, note_reply
from handlers.staff.outcome import choose_laser as choose_planned_laser
from handlers.staff.outcome import (
    choose_outcome,
    choose_sessions,
    record_planned,
)
from handlers.staff.outcome import record as record_outcome

__all__ = ["actor", "audit_action", "in_staff_chat", "is_staff", "refuse", "staff_only"]


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
            CallbackQueryHandler(choose_outcome, pattern=pattern(STAFF_OUTCOME, appointment_id)),
            CallbackQueryHandler(
                record_outcome,
                pattern=pattern(STAFF_OUTCOME_SET, f"{appointment_id}:(not_suitable|undecided)"),
            ),
            CallbackQueryHandler(
                choose_planned_laser, pattern=pattern(STAFF_OUTCOME_PLAN, appointment_id)
            ),
            CallbackQueryHandler(
                choose_sessions,
                pattern=pattern(STAFF_OUTCOME_LASER, f"{appointment_id}:({lasers})"),
            ),
            CallbackQueryHandler(ask_note, pattern=pattern(STAFF_OUTCOME_NOTE, appointment_id)),
            # A reply in a group to the bot's question for a note (note_reply checks which).
            MessageHandler(filters.REPLY & filters.ChatType.GROUPS & ~filters.COMMAND, note_reply),
            CallbackQueryHandler(
                record_planned,
                pattern=pattern(STAFF_OUTCOME_SESSIONS, f"{appointment_id}:({lasers}):\\d{{1,2}}"),
            ),
        ]
    )
