"""The staff group itself: it becomes a supergroup; its administrators change."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update

from handlers.context import ClinicContext
from services import staff

log = logging.getLogger("handlers.staff")


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
    await staff.follow_move(
        context.session,
        staff_chat=context.services.staff_chat,
        roster=context.services.staff,
        old_chat_id=old,
        new_chat_id=new,
        now=context.scope.now,
    )


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
