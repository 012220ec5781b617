"""The ceiling: a bare python-telegram-bot bot making the same Bot API calls per step.

No database, no content, no logic beyond counting each chat's steps: for step k of a
chat it makes the calls our bot made for step k (answer the button, send or edit the
message), taken from `CEILING_PLAN`, a JSON list of method lists. Run as
`python -m bench.ceiling` with the same token, stand-in and HTTP pool as the bot.
"""

from __future__ import annotations

import json
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

# About as long as one of our screens, with two buttons.
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 5
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Next", callback_data="n")],
        [InlineKeyboardButton("« Back", callback_data="b")],
    ]
)


def build(plan: list[list[str]]) -> Application:  # type: ignore[type-arg]
    steps: dict[int, int] = {}
    last_sent: dict[int, int] = {}

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        step = steps.get(chat.id, 0)
        steps[chat.id] = step + 1
        text = f"Step {step}. {FILLER}"
        query = update.callback_query
        for method in plan[min(step, len(plan) - 1)]:
            if method == "answerCallbackQuery" and query is not None:
                await query.answer()
            elif method == "editMessageText" and query is not None:
                await query.edit_message_text(text, reply_markup=KEYBOARD)
            elif method == "editMessageText" and chat.id in last_sent:
                await context.bot.edit_message_text(
                    text, chat_id=chat.id, message_id=last_sent[chat.id], reply_markup=KEYBOARD
                )
            else:  # sendMessage, and whatever else sends
                message = await context.bot.send_message(chat.id, text, reply_markup=KEYBOARD)
                last_sent[chat.id] = message.message_id

    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .request(HTTPXRequest(connection_pool_size=64))
        .concurrent_updates(256)
        .build()
    )
    application.add_handler(TypeHandler(Update, reply))
    return application


def main() -> None:
    plan = json.loads(os.environ["CEILING_PLAN"])
    build(plan).run_polling(allowed_updates=Update.ALL_TYPES, timeout=10, close_loop=False)


if __name__ == "__main__":
    main()
