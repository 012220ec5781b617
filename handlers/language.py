"""/language and the menu's language button: the patient picks the language the bot
writes to them in (first chosen from their Telegram's language, handlers get it through
context.content)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from handlers.callbacks import LANGUAGE, pattern
from handlers.context import ClinicApp, ClinicContext
from handlers.navigation import LANGUAGES, back_to_menu_button, show_menu
from handlers.replies import answer_button, show
from services import patients

PRIVATE = filters.ChatType.PRIVATE


async def choose(update: Update, context: ClinicContext) -> None:
    """Each language by its own name, the current one ticked."""
    current = context.content.language
    rows = [
        [
            InlineKeyboardButton(
                f"✓ {spoken.own_name}" if language == current else spoken.own_name,
                callback_data=f"{LANGUAGE}{language}",
            )
        ]
        for language, spoken in context.services.content.languages.items()
    ]
    rows.append([back_to_menu_button(context)])
    context.flow.reset()
    await show(update, context, context.text("language.choose"), InlineKeyboardMarkup(rows))


async def chosen(update: Update, context: ClinicContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    language = query.data.removeprefix(LANGUAGE)
    scope = context.scope
    if language not in context.services.content.languages or scope.patient_id is None:
        await answer_button(update, context, context.text("fallback.old_button"))
        return
    await patients.speak(scope.session, patient_id=scope.patient_id, language=language)
    scope.language = language  # this reply already speaks it
    await show_menu(update, context, context.text("language.changed"))


def register(application: ClinicApp) -> None:
    application.add_handlers(
        [
            CommandHandler("language", choose, filters=PRIVATE),
            CallbackQueryHandler(choose, pattern=f"^{LANGUAGES}$"),
            CallbackQueryHandler(chosen, pattern=pattern(LANGUAGE, "[a-z]{2,8}")),
        ]
    )
