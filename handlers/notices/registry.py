"""The renderers of scheduled messages, by outbox kind: the dispatcher renders each row
when it is due, from what the database holds then."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from clinic.content import Content
from handlers.outgoing import Outgoing, Settle
from services.context import Services
from services.notify import Due


@dataclass(frozen=True)
class Expired:
    """A renderer's answer for a message whose moment has passed (a reminder after the
    consultation, after an outage say): the outbox records it as expired, never sends it.

    `settle`: what it settles all the same, in the transaction that records it expired
    (an aftercare day skipped still moves its plan on to the next day).
    """

    settle: Settle | None = None

    def __repr__(self) -> str:
        return "EXPIRED"


EXPIRED = Expired()

# A renderer writes in `Content`'s language: the patient's for a private chat, the
# staff group's for the group (the dispatcher chooses).
Render = Callable[
    [AsyncSession, Services, Due, datetime, Content], Awaitable[Outgoing | Expired | None]
]
# outbox kind -> how to render it; None means the message is no longer wanted, EXPIRED
# that it came too late to be of use.
RENDERERS: dict[str, Render] = {}


def renders(kind: str) -> Callable[[Render], Render]:
    def register(function: Render) -> Render:
        RENDERERS[kind] = function
        return function

    return register
