"""Noticing when a patient blocks or unblocks the bot."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from handlers import welcome_back
from handlers.context import ClinicApp, ClinicContext
from services import patients

log = logging.getLogger(__name__)


async def membership_changed(update: Update, context: ClinicContext) -> None:
    """Marks the patient unreachable when they block the bot, reachable when they return.

    Blocking also stops their aftercare plan and reminders; coming back offers them
    again (handlers.welcome_back), never restarts them unasked.
    """
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type != "private":
        if change.chat.id == context.services.staff_chat_id:
            # The bot was promoted, demoted or removed there: fetch the staff list again.
            context.services.staff.stale = True
        return
    reachable = change.new_chat_member.status not in (ChatMember.BANNED, ChatMember.LEFT)
    came_back = await patients.membership_changed(
        context.session, telegram_id=change.chat.id, reachable=reachable, now=context.scope.now
    )
    log.info("patient reachable=%s chat_id=%s", reachable, change.chat.id)
    if came_back is not None:
        context.scope.patient_id = came_back  # what the bot says is logged as theirs
        # Not a message from them: the scope has no language yet, so say it in theirs.
        chosen, telegram_code = await patients.language(context.session, patient_id=came_back)
        context.scope.language = context.services.speaking(chosen, telegram_code).language
        await welcome_back.offer(update, context, came_back)


def register(application: ClinicApp) -> None:
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
