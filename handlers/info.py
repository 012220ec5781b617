"""About the treatment: the clinic's FAQ, browsed by buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from handlers import steps
from handlers.callbacks import FAQ_TOPIC, faq_topic_data, parse_faq_topic, pattern
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import ABOUT, back_to_menu_button
from handlers.replies import answer_button, show

FLOW = "faq"
LIST = "list"


def _list_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(topic.button, callback_data=faq_topic_data(topic.key))]
        for topic in context.content.faq.topics
    ]
    rows.append([back_to_menu_button(context)])
    return InlineKeyboardMarkup(rows)


def _answer_keyboard(context: ClinicContext) -> InlineKeyboardMarkup:
    back = InlineKeyboardButton(context.text("faq.back"), callback_data=ABOUT)
    return InlineKeyboardMarkup([[back, back_to_menu_button(context)]])


def _screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    """The FAQ screen the patient is on: the list of topics, or one answer."""
    topic = context.content.faq.topic(context.flow.step or "")
    if topic is None:
        return context.text("faq.prompt"), _list_keyboard(context)
    return topic.answer, _answer_keyboard(context)


async def topics(update: Update, context: ClinicContext) -> None:
    """Lists the FAQ topics as buttons."""
    context.flow.go(FLOW, LIST)
    await show(update, context, *_screen(context))


async def topic(update: Update, context: ClinicContext) -> None:
    """Shows one FAQ answer with Back and Menu buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    key = parse_faq_topic(query.data)
    if context.content.faq.topic(key) is None:
        # A topic the clinic has since removed from faq.toml.
        await answer_button(update, context, context.text("fallback.old_button"))
        key = LIST
    context.flow.go(FLOW, key)
    await show(update, context, *_screen(context))


async def _on_screen(context: ClinicContext) -> tuple[str, InlineKeyboardMarkup]:
    return _screen(context)


# Its steps are the topics (the list, or one answer), whichever the clinic has.
steps.declare(steps.Flow(FLOW, {}, otherwise=_on_screen))


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CallbackQueryHandler(topics, pattern=f"^{ABOUT}$"),
            CallbackQueryHandler(topic, pattern=pattern(FAQ_TOPIC, "[a-z0-9_]+")),
        ]
    )
