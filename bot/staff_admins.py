"""The staff group's administrators, fetched from Telegram outside any transaction.

Staff actions are allowed to the group's administrators and to STAFF_USER_IDS
(services.context.StaffRoster). Handlers cannot ask Telegram who the administrators
are (no Bot API call inside an update's transaction), so the list is fetched here: at
start, before the first update, then by a JobQueue tick whenever it is older than
REFRESH_EVERY or a membership change in the group marked it stale. A chat_member update
(handlers.staff) changes the list in memory at once; the fetch confirms it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Bot, ChatMember
from telegram.error import BadRequest, ChatMigrated, NetworkError, RetryAfter, TelegramError

from handlers.context import ClinicContext
from services.context import Services

log = logging.getLogger(__name__)

# A promotion or demotion in the group reaches us as a chat_member update (when the bot
# is an administrator there); this catches the ones that did not, and other processes'.
REFRESH_EVERY = timedelta(minutes=5)
# How often the tick looks whether a fetch is due; also the wait after a failed fetch.
TICK = timedelta(seconds=30)
_ADMIN = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def fetch_admins(bot: Bot, services: Services) -> bool:
    """Replaces the cached administrators with Telegram's list; False if it failed (the
    old list stays, STAFF_USER_IDS keep working)."""
    chat_id, roster, now = services.staff_chat.id, services.staff, services.clock()
    if chat_id is None:
        return True
    try:
        members = await bot.get_chat_administrators(chat_id)
    except ChatMigrated:
        # The group became a supergroup: the move is followed where posts fail
        # (bot.results); the next tick asks the new id.
        log.warning("staff administrators not fetched: the group moved chat_id=%s", chat_id)
        roster.stale = True
        return False
    except TelegramError as exc:
        if not roster.failing:  # logged once until a fetch works again
            # A 429 or a network error passes; a refusal (the bot left the group) needs
            # someone to act.
            # (python-telegram-bot's BadRequest is a NetworkError too: it does not pass.)
            passing = isinstance(exc, RetryAfter | NetworkError) and not isinstance(exc, BadRequest)
            log.log(
                logging.WARNING if passing else logging.ERROR,
                "could not fetch the staff group's administrators chat_id=%s error=%s; "
                "the last list known (at start: STAFF_USER_IDS only) is used meanwhile",
                chat_id,
                type(exc).__name__,
            )
        roster.failing = roster.stale = True  # tried again at the next tick
        return False
    roster.admins = frozenset(
        member.user.id for member in members if member.status in _ADMIN and not member.user.is_bot
    )
    roster.fetched_at, roster.stale, roster.failing = now, False, False
    log.info("staff administrators fetched chat_id=%s count=%s", chat_id, len(roster.admins))
    return True


async def refresh_admins(context: ClinicContext) -> None:
    """The JobQueue tick: fetches the list when it is stale or older than REFRESH_EVERY."""
    services: Services = context.bot_data["services"]
    roster = services.staff
    fetched = roster.fetched_at
    if roster.stale or fetched is None or services.clock() - fetched >= REFRESH_EVERY:
        await fetch_admins(context.bot, services)
