"""Who may act in the staff group, and the audit of what they did."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from handlers.context import ClinicContext
from handlers.fallback import unknown_command
from handlers.replies import answer_button, send
from services import staff
from services.staff import Actor

log = logging.getLogger("handlers.staff")


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


def actor(update: Update) -> Actor:
    """The staff member acting, as the audit records them."""
    user = update.effective_user
    assert user is not None
    return Actor(user.id, user.full_name)


async def audit_action(
    update: Update,
    context: ClinicContext,
    action: str,
    *targets: int | None,
    detail: str | None = None,
) -> None:
    """Writes who did what (one row per target) in the action's transaction."""
    await staff.record(
        context.session, actor(update), action, *targets, now=context.scope.now, detail=detail
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


def staff_press(update: Update, context: ClinicContext) -> bool:
    """Whether a card button may act: pressed in the staff group, by staff."""
    return in_staff_chat(update, context) and is_staff(update, context)


async def not_allowed(update: Update, context: ClinicContext) -> None:
    if not in_staff_chat(update, context):
        # A forged or forwarded staff button: no effect, and nothing revealed.
        await answer_button(update, context, context.text("staff.not_here"))
    else:
        await refuse(update, context)


def button_data(update: Update) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    return query.data
