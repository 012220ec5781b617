"""Describing what a patient sent, for the message log."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

# Attachments a message can carry, in the order Telegram documents them.
_ATTACHMENTS = (
    "animation",
    "audio",
    "document",
    "photo",
    "sticker",
    "story",
    "video",
    "video_note",
    "voice",
    "contact",
    "dice",
    "game",
    "poll",
    "venue",
    "location",
)


def _button_label(message: Message | None, data: str | None) -> str | None:
    """The label of the pressed button, which is what the patient saw and chose."""
    markup = message.reply_markup if message is not None else None
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data == data:
                    return button.text
    return data


def describe(update: Update) -> tuple[str, str | None, int | None]:
    """Returns (kind, text, message id) of what the patient sent."""
    if (query := update.callback_query) is not None:
        message = query.message if isinstance(query.message, Message) else None
        return "button", _button_label(message, query.data), None
    message = update.message
    if message is None:
        return "other", None, None
    if message.text is not None:
        kind = "command" if message.text.startswith("/") else "text"
        return kind, message.text, message.message_id
    if message.contact is not None:
        return "contact", message.contact.phone_number, message.message_id
    for attachment in _ATTACHMENTS:
        if getattr(message, attachment, None):
            return attachment, message.caption, message.message_id
    return "other", message.caption, message.message_id
