"""The ceiling: a bare python-telegram-bot bot making the same Bot API calls per step.

No database, no content, no logic beyond counting each chat's steps: for step k of a
chat it makes the calls our bot made for step k (answer the button, send or edit the
message), taken from `CEILING_PLAN`, a JSON list of method lists. Run as
`python -m bench.ceiling` with the same token and stand-in as the bot.

- `CEILING_CONCURRENCY` (32): python-telegram-bot's `concurrent_updates`. A realistic
  value: with 256 httpx's pool bookkeeping ate 60% of the bare bot's CPU.
- `CEILING_HTTP` (`httpx`): the transport, python-telegram-bot's default
  `HTTPXRequest`, or `aiohttp` for the project's `bot.http.AiohttpRequest`.
- `CEILING_CONNECTIONS` (64): the transport's connection pool.
"""

from __future__ import annotations

import json
import os

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest

CONCURRENCY = 32
CONNECTIONS = 64
POLL_TIMEOUT = 10

# About as long as one of our screens, with two buttons.
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 5
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Next", callback_data="n")],
        [InlineKeyboardButton("« Back", callback_data="b")],
    ]
)


def requests(transport: str, connections: int) -> tuple[BaseRequest, BaseRequest]:
    """(the request for Bot API calls, the one for getUpdates)."""
    if transport == "httpx":
        return HTTPXRequest(connection_pool_size=connections), HTTPXRequest()
    if transport == "aiohttp":
        from bot.http import AiohttpRequest

        return AiohttpRequest(connections=connections), AiohttpRequest(connections=1)
    raise SystemExit(f"CEILING_HTTP must be httpx or aiohttp, not {transport!r}")


def build(
    plan: list[list[str]],
    *,
    concurrency: int = CONCURRENCY,
    transport: str = "httpx",
    connections: int = CONNECTIONS,
) -> Application:  # type: ignore[type-arg]
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

    request, get_updates_request = requests(transport, connections)
    application = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .request(request)
        .get_updates_request(get_updates_request)
        .concurrent_updates(concurrency)
        .build()
    )
    application.add_handler(TypeHandler(Update, reply))
    return application


def main() -> None:
    plan = json.loads(os.environ["CEILING_PLAN"])
    application = build(
        plan,
        concurrency=int(os.environ.get("CEILING_CONCURRENCY", CONCURRENCY)),
        transport=os.environ.get("CEILING_HTTP", "httpx"),
        connections=int(os.environ.get("CEILING_CONNECTIONS", CONNECTIONS)),
    )
    application.run_polling(
        allowed_updates=Update.ALL_TYPES, timeout=POLL_TIMEOUT, close_loop=False
    )


if __name__ == "__main__":
    main()
