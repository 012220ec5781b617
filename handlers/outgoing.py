"""One message the bot will send: what handlers and renderers produce, what bot.sender sends.

A handler never talks to Telegram. It records its replies as `Outgoing` messages; they
are written to the outbox in the update's transaction and sent once it committed. A
renderer turns a due outbox row into one when the dispatcher claims it. Both kinds
reach Telegram through the same sender, one chat's messages in order.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ForceReply, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

if TYPE_CHECKING:
    from services.context import Services

Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


@dataclass(frozen=True)
class Settle:
    """What a sent (or given up) message settles, applied with others of its kind.

    The dispatcher records a batch of results in one transaction; each kind's settler
    (registered with `settles`) gets all of that batch's items at once, so that 500
    nudges queue their next days in a few statements, not 1,500.
    """

    kind: str
    item: Any
    # Only once Telegram has the message, not when it is given up (a patient is told
    # the clinic has their alert only when it does).
    if_delivered: bool = False


Settler = Callable[[AsyncSession, "Services", Sequence[Any], datetime], Awaitable[None]]
# settle kind -> what to do, in the transaction that records the sends
SETTLERS: dict[str, Settler] = {}


def settles(kind: str) -> Callable[[Settler], Settler]:
    def register(function: Settler) -> Settler:
        SETTLERS[kind] = function
        return function

    return register


@dataclass(frozen=True)
class Outgoing:
    """A text with buttons, a document (the text is its caption), or a contact card.

    `edit` names a message of the bot to replace in place (the one whose button was
    pressed); if Telegram can no longer edit it, the message is sent anew.
    """

    text: str | None = None
    keyboard: Keyboard | None = None
    document: tuple[str, bytes] | None = None  # (file name, content)
    contact: tuple[str, str] | None = None  # (phone in E.164, first name)
    edit: int | None = None
    settle: Settle | None = None

    @property
    def log_kind(self) -> str:
        """How the message log names it."""
        if self.document is not None:
            return "document"
        if self.contact is not None:
            return "contact_card"
        return "edit" if self.edit is not None else "text"

    @property
    def log_text(self) -> str | None:
        """What the message log keeps of it: the text, the file name, the phone."""
        if self.document is not None:
            return f"[{self.document[0]}]" + (f" {self.text}" if self.text else "")
        if self.contact is not None:
            return self.contact[0]
        return self.text

    def to_payload(self) -> dict[str, Any]:
        """The message as JSON, for an outbox row that may be sent by another process."""
        payload: dict[str, Any] = {}
        if self.text is not None:
            payload["text"] = self.text
        if self.keyboard is not None:
            payload["keyboard"] = self.keyboard.to_dict()
        if self.document is not None:
            name, data = self.document
            payload["document"] = {"name": name, "data": base64.b64encode(data).decode()}
        if self.contact is not None:
            payload["contact"] = list(self.contact)
        if self.edit is not None:
            payload["edit"] = self.edit
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Outgoing:
        document = payload.get("document")
        contact = payload.get("contact")
        return cls(
            text=payload.get("text"),
            keyboard=_keyboard(payload.get("keyboard")),
            document=((document["name"], base64.b64decode(document["data"])) if document else None),
            contact=(contact[0], contact[1]) if contact else None,
            edit=payload.get("edit"),
        )


def _keyboard(data: dict[str, Any] | None) -> Keyboard | None:
    if not data:
        return None
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, None)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, None)
    if data.get("force_reply"):
        return ForceReply.de_json(data, None)
    return ReplyKeyboardRemove.de_json(data, None)
