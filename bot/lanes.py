"""Telegram's rate limits, paced in lanes through python-telegram-bot's rate limiter hook.

Telegram's Bot FAQ sets three limits, and each applies to different messages:

- about 30 messages a second across all chats, for bulk notifications;
- about one message a second within one chat (short bursts are fine);
- 20 messages a minute within one group.

So a reply to a patient's own tap (the REPLY lane, the default) goes out at once: it
is one message in answer to one message, nowhere near a chat's limit. Messages the
bot starts (the BULK lane: reminders, nudges, notices, staff posts) are paced: 30 a
second across private chats, one a second within a chat, and within a group one every
3 seconds (20 a minute, evenly).

A 429 delays only what it applies to: a reply's 429 pauses that chat; a bulk send's
429 pauses bulk sends to private chats (Telegram's overall limit was reached), or that
group. python-telegram-bot's own AIORateLimiter has no per-chat limit and pauses every
request after any 429, replies included; this class takes its place through the same
extension point (`BaseRateLimiter`), and callers pick the lane with `rate_limit_args`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Telegram's figures (core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
GROUP_MESSAGES_PER_MINUTE = 20
CHAT_INTERVAL = 1.0
# A send is tried this often when Telegram answers 429, waiting as asked in between,
# as long as the wait is short; a longer one goes back to its caller (the row waits in
# the outbox, not in memory).
RETRIES = 2
LONGEST_WAIT = 10.0
PACE_MARGIN = 0.98
# Chats and groups not heard of for this long are forgotten (a bounded memory).
FORGET_AFTER = 120.0


class Lane(enum.Enum):
    REPLY = "reply"
    BULK = "bulk"


Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


class LaneLimiter(BaseRateLimiter[Lane]):
    def __init__(
        self,
        messages_per_second: float,
        *,
        group_per_minute: int = GROUP_MESSAGES_PER_MINUTE,
        chat_interval: float = CHAT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # 0: no overall pacing (a self-hosted Bot API server, a benchmark). Sends are
        # spaced 2% wider than the rate: the network bunches some up on the way, and
        # Telegram counts when they arrive.
        self._interval = 1 / (messages_per_second * PACE_MARGIN) if messages_per_second else 0.0
        self._group_per_minute = group_per_minute
        self._chat_interval = chat_interval
        self._clock = clock
        self._next_bulk = 0.0  # when the next bulk send to a private chat may start
        self._bulk_paused_until = 0.0
        self._paused_until: dict[int, float] = {}  # chat -> after a 429 there
        self._last_sent: dict[int, float] = {}  # private chat -> last bulk send
        self._group_sends: dict[int, deque[float]] = {}  # group -> its sends this minute
        self._group_next: dict[int, float] = {}  # group -> its next bulk send
        self._forgotten_at = 0.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    # -- what the dispatcher asks before claiming rows ----------------------------------

    def group_room(self, chat_id: int) -> int:
        """Bulk sends the group can take now: one, when its turn has come."""
        return 1 if self.group_free_in(chat_id) == 0 else 0

    def group_free_in(self, chat_id: int) -> float:
        """Seconds until the group's next bulk send (0: now). Bulk posts to a group go
        one every 60/20 = 3 seconds, never a burst, and never more than 20 in any
        minute with the replies there counted."""
        now = self._clock()
        window = self._window(chat_id)
        full = window[0] + 60 - now if len(window) >= self._group_per_minute else 0.0
        spaced = self._group_next.get(chat_id, 0.0) - now
        return max(0.0, full, spaced)

    # -- the hook --------------------------------------------------------------------

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = _chat(data)

        for attempt in range(RETRIES + 1):
            try:
                if rate_limit_args is Lane.BULK and chat_id is not None:
                    await self._bulk_turn(chat_id)
                elif chat_id is not None:
                    await self._wait(self._paused_until.get(chat_id, 0.0))
                if chat_id is not None:
                    self._note_send(chat_id, rate_limit_args)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                self._paused(rate_limit_args, chat_id, wait)
                if attempt == RETRIES or wait > LONGEST_WAIT or chat_id is None:
                    raise
                log.info("rate limited, waiting chat_id=%s retry_after=%s", chat_id, wait)
        raise AssertionError("unreachable")

    async def _bulk_turn(self, chat_id: int) -> None:
        """Waits for the bulk lane's turn: the group's minute, or the chat's second and
        the overall pace."""
        await self._wait(self._paused_until.get(chat_id, 0.0))
        if chat_id < 0:
            await self._wait(self._clock() + self.group_free_in(chat_id))
            return
        await self._wait(self._bulk_paused_until)
        await self._wait(self._last_sent.get(chat_id, -self._chat_interval) + self._chat_interval)
        if self._interval:
            # One send every 1/rate seconds, never a burst: Telegram counts a burst after
            # a quiet spell as over the limit.
            now = self._clock()
            slot = max(now, self._next_bulk)
            self._next_bulk = slot + self._interval
            await self._wait(slot)

    def _paused(self, lane: Lane | None, chat_id: int | None, seconds: float) -> None:
        """After a 429: a reply's pauses its chat; a bulk send's pauses bulk sends to
        private chats (the overall limit), or its group."""
        if chat_id is None:
            return
        if lane is Lane.BULK and chat_id > 0:
            self._bulk_paused_until = max(self._bulk_paused_until, self._clock() + seconds)
        else:
            self._pause(chat_id, seconds)

    # -- bookkeeping -----------------------------------------------------------------

    async def _wait(self, until: float) -> None:
        """Sleeps until `until`; a wait longer than LONGEST_WAIT goes back to the caller
        as Telegram's own 429 would, so that a row waits in the outbox, not in memory."""
        delay = until - self._clock()
        if delay <= 0:
            return
        if delay > LONGEST_WAIT:
            raise RetryAfter(int(delay) + 1)
        await asyncio.sleep(delay)

    def _pause(self, chat_id: int, seconds: float) -> None:
        until = self._clock() + seconds
        self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), until)

    def _note_send(self, chat_id: int, lane: Lane | None) -> None:
        """A group's minute counts every send; a chat's second counts bulk sends only
        (a reply never delays the next notice, which is Telegram's "short burst")."""
        now = self._clock()
        if chat_id < 0:
            self._window(chat_id).append(now)
            if lane is Lane.BULK:
                self._group_next[chat_id] = now + 60 / self._group_per_minute
        elif lane is Lane.BULK:
            self._last_sent[chat_id] = now
        if now - self._forgotten_at > FORGET_AFTER:
            self._forget(now)

    def _window(self, chat_id: int) -> deque[float]:
        window = self._group_sends.setdefault(chat_id, deque())
        cutoff = self._clock() - 60
        while window and window[0] <= cutoff:
            window.popleft()
        return window

    def _forget(self, now: float) -> None:
        self._forgotten_at = now
        cutoff = now - FORGET_AFTER
        for table in (self._last_sent, self._paused_until):
            for chat_id in [chat for chat, at in table.items() if at < cutoff]:
                del table[chat_id]
        for chat_id in [chat for chat, sends in self._group_sends.items() if not sends]:
            del self._group_sends[chat_id]
            self._group_next.pop(chat_id, None)


def _chat(data: dict[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None  # no chat (answerCallbackQuery, getMe) or a @channel name
