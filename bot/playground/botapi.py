"""A stand-in Telegram Bot API server: real HTTP on 127.0.0.1, kept chats, spec checks.

Tests act as patients (send text, stickers, photos, press buttons) and read what the
bot made each chat show. Every request the bot makes is checked against the Bot API
specification; a violation is answered with 400 and recorded for the test to fail on.
Faults (429, 403, 5xx) can be ordered per method, or drawn at random for a share of
requests (429, 5xx, timeouts); the server can also enforce Telegram's flood limit and
its 20-messages-a-minute group limit, answer every call after a simulated round trip
(`delay`), and deliver updates by webhook to several workers instead of getUpdates.
Like Telegram, it refuses a second answer to the same button press.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.playground.spec import HtmlError, Spec, plain_text

TOKEN = "123456:TEST-stand-in-token_abcdefghijklmnop"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Clinic Assistant",
    "username": "clinic_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    last_name: str | None = None
    language_code: str = "en"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        return data

    def chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


@dataclass
class ChatMessage:
    """A message as the chat shows it now (edits change it in place)."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str | None = None  # plain text, as the patient reads it
    # The text as sent, with its formatting, when sent with parse_mode HTML (the
    # playground shows it; tests read `text`).
    html: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the Message object as Telegram has it
    keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    # A keyboard under the text box (ReplyKeyboardMarkup), e.g. with a share-contact button.
    reply_keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    # A ForceReply sent with it ({"force_reply": true, "selective": ...}): the app opens
    # a reply to it for whom it targets.
    force_reply: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    document_bytes: bytes | None = None
    edits: int = 0
    touched: int = 0  # order of the last send or edit, to find what the chat shows last

    def buttons(self) -> list[str]:
        return [button["text"] for row in self.keyboard for button in row]

    def button(self, label: str) -> dict[str, Any]:
        for row in self.keyboard:
            for button in row:
                if button["text"] == label:
                    return button
        raise AssertionError(f"no button {label!r} on message; buttons: {self.buttons()}")


@dataclass
class Fault:
    method: str
    status: int
    times: int
    retry_after: int | None = None
    description: str = ""
    chat_id: int | None = None  # only calls for this chat; None: any


# The methods that send a message: what Telegram's flood limit counts.
SENDING = frozenset({"sendMessage", "sendDocument", "sendContact"})

# Telegram's answer to a second answerCallbackQuery for the same press (and to a late one).
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
# Seconds before an update whose webhook post failed is posted again.
WEBHOOK_RETRY = 0.5


@dataclass
class Chaos:
    """Random trouble on a share of requests, as Telegram has on a bad day.

    Of the requests to `methods`, `share` fail: a third with 429 and `retry_after`, a
    third with 502 (or 500), a third hang for `hang` seconds (longer than the client's
    read timeout) and then fail. None of them reaches the chat: the request was lost
    before Telegram acted on it.
    """

    share: float
    methods: frozenset[str]
    seed: int = 0
    retry_after: int = 1
    hang: float = 6.0
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self) -> str | None:
        if self._random.random() >= self.share:
            return None
        kind = self._random.choice(("429", "5xx", "timeout"))
        self.counts[kind] += 1
        return kind


class StandIn:
    def __init__(
        self,
        token: str = TOKEN,
        *,
        keep_calls: bool = True,
        delay: float = 0.0,
        group_messages_per_minute: int | None = None,
    ) -> None:
        self.token = token
        self.spec = Spec()
        # A simulated round trip to Telegram: every call is answered this many seconds
        # late (getUpdates: after its long-poll wait; a webhook post: before it is made).
        self.delay = delay
        # Telegram's group limit: at most this many sends to one group (negative chat id)
        # in any 60 seconds, else 429 with the seconds until the window frees up.
        self.group_messages_per_minute = group_messages_per_minute
        # Like Telegram, a second answerCallbackQuery for one press gets 400 "query is too
        # old ..."; False accepts it (and keeps the first answer), as the stand-in used to.
        self.refuse_repeated_answers = True
        # Every request in order; a benchmark sending 100,000 messages keeps only counts.
        self.keep_calls = keep_calls
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_counts: Counter[str] = Counter()
        # Messages the bot sent to each chat (sendMessage, sendDocument, sendContact).
        self.sent_to: Counter[int] = Counter()
        # Called with (chat id, method) after each successful call that concerns a chat
        # (a button answer counts for the chat of the user who pressed it).
        self.on_call: Callable[[int, str], None] | None = None
        # When each update left in a getUpdates answer, or was taken for its first webhook
        # post (time.perf_counter(), before the simulated round trip `delay`).
        self.delivered_at: dict[int, float] = {}
        # When each update was first queued: the patient's tap.
        self.queued_at: dict[int, float] = {}
        # Telegram's flood limit: at most this many sends in any one second, else 429.
        self.messages_per_second: float | None = None
        self.chaos: Chaos | None = None
        # Set by a test that runs the bot in-process: waits until the bot has sent what
        # its committed updates said (replies go out after the commit).
        self.after_handled: Callable[[], Awaitable[None]] | None = None
        self._recent_sends: deque[float] = deque()
        self._group_sends: dict[int, deque[float]] = {}
        self._query_users: dict[str, int] = {}
        self.violations: list[str] = []
        self.chats: dict[int, list[ChatMessage]] = {}
        # Goes up with every change to a chat: what the playground's page waits on.
        self.version = 0
        # Every person's name the bot was told (first, last, user name, shared contacts):
        # the log-leak check looks for each, however short.
        self.names: set[str] = set()
        # The first successful answer to each press (its text); a second one is refused.
        self.callback_answers: dict[str, str | None] = {}
        self.commands: list[dict[str, Any]] = []
        # The menus for users whose Telegram is in a given language ("fr").
        self.commands_by_language: dict[str, list[dict[str, Any]]] = {}
        # Command menus set for one chat (BotCommandScopeChat), by chat id.
        self.chat_commands: dict[int, list[dict[str, Any]]] = {}
        self.blocked: set[int] = set()
        # Each group's administrators (getChatAdministrators); a group not listed here
        # has `default_administrators`. promote() changes them and tells the bot.
        self.administrators: dict[int, list[User]] = {}
        self.default_administrators: list[User] = []
        # Groups that became supergroups: old chat id -> new chat id.
        self.migrated: dict[int, int] = {}
        self.webhook: dict[str, Any] | None = None
        # The reply keyboard each chat shows under its text box now.
        self.reply_keyboards: dict[int, list[list[dict[str, Any]]]] = {}
        self._pending: list[dict[str, Any]] = []
        self._delivered: list[dict[str, Any]] = []
        self._delivered_ids: set[int] = set()
        self._confirmed_below = 0
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._touch = itertools.count(1)
        self._faults: list[Fault] = []
        self._holds: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}
        self._poll_generation = 0
        self._closing = False
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Webhook delivery (deliver_to_webhooks): posts made per update, and the updates
        # a worker answered with 2xx.
        self.webhook_posts: Counter[int] = Counter()
        self.webhook_failures = 0
        self._acknowledged: set[int] = set()
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_stopping = False

    # -- server -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        await self.stop_webhooks()
        # Long polls still open (a killed bot's, say) end now instead of at their timeout.
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what the tests do as patients ---------------------------------------------------

    async def send_text(self, user: User, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._user_message(user, message, text=text)

    async def send_group_text(
        self, user: User, group_id: int, text: str, reply_to: ChatMessage | None = None
    ) -> dict[str, Any]:
        """The user writes in a group the bot is in (in reply to one of its messages,
        if `reply_to`: what a ForceReply opens)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.send_group(user, group_id, content, text=text, reply_to=reply_to)

    async def send_group(
        self,
        user: User,
        group_id: int,
        content: dict[str, Any],
        text: str | None = None,
        reply_to: ChatMessage | None = None,
    ) -> dict[str, Any]:
        """The user sends something in a group (a text, a sticker, a photo), optionally
        in reply to a message; Telegram then includes that message, without its own
        reply, as `reply_to_message`."""
        chat = {"id": group_id, "type": "supergroup", "title": "Some group"}
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_json(),
            **content,
        }
        if reply_to is not None:
            replied = dict(reply_to.raw)
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        self._record(ChatMessage(message_id, group_id, from_bot=False, text=text, raw=message))
        return await self.queue({"message": message})

    async def send_sticker(self, user: User) -> dict[str, Any]:
        sticker = {
            "file_id": "sticker-file",
            "file_unique_id": "st1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return await self._user_message(user, {"sticker": sticker})

    async def send_photo(self, user: User, caption: str | None = None) -> dict[str, Any]:
        photo = [{"file_id": "photo-file", "file_unique_id": "ph1", "width": 800, "height": 600}]
        message: dict[str, Any] = {"photo": photo}
        if caption:
            message["caption"] = caption
        return await self._user_message(user, message, text=caption)

    async def send_voice(self, user: User) -> dict[str, Any]:
        voice = {"file_id": "voice-file", "file_unique_id": "vo1", "duration": 3}
        return await self._user_message(user, {"voice": voice})

    async def send_contact(self, user: User, phone: str) -> dict[str, Any]:
        contact = {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
        return await self._user_message(user, {"contact": contact})

    async def edit_text(self, user: User, sent: dict[str, Any], text: str) -> dict[str, Any]:
        """The patient edits a message they sent earlier."""
        message = dict(sent["message"], text=text, edit_date=int(time.time()))
        message.pop("entities", None)
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self.queue({"edited_message": message})

    async def press(
        self, user: User, label: str, message: ChatMessage | None = None
    ) -> dict[str, Any]:
        """Presses the button with this label on the message the chat shows last."""
        message = message or self.screen(user.id)
        data = message.button(label)["callback_data"]
        return await self.press_data(user, message, data)

    async def press_reply(self, user: User, label: str, phone: str = "14165550123") -> Any:
        """Taps a button of the reply keyboard under the text box.

        A share-contact button sends the user's own number, as Telegram does (digits
        without the plus sign); any other button sends its label as text.
        """
        keyboard = self.reply_keyboards.get(user.id, [])
        for row in keyboard:
            for button in row:
                if button["text"] == label:
                    if button.get("request_contact"):
                        return await self.send_contact(user, phone)
                    return await self.send_text(user, label)
        labels = [button["text"] for row in keyboard for button in row]
        raise AssertionError(f"no reply button {label!r}; the keyboard shows {labels}")

    async def press_data(self, user: User, message: ChatMessage, data: str) -> dict[str, Any]:
        """Sends a callback query with any data: an old button, or a forged one."""
        query_id = str(next(self._query_ids))
        self._query_users[query_id] = user.id
        query = {
            "id": query_id,
            "from": user.as_json(),
            "chat_instance": f"ci-{user.id}",
            "data": data,
            "message": message.raw,
        }
        return await self.queue({"callback_query": query})

    async def block(self, user: User, blocked: bool = True) -> dict[str, Any]:
        """The patient blocks (or unblocks) the bot."""
        if blocked:
            self.blocked.add(user.id)
        else:
            self.blocked.discard(user.id)
        member = {"status": "member", "user": BOT_USER}
        kicked = {"status": "kicked", "user": BOT_USER, "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        change = {
            "chat": user.chat(),
            "from": user.as_json(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return await self.queue({"my_chat_member": change})

    def administrators_of(self, chat_id: int) -> list[User]:
        return self.administrators.get(chat_id, self.default_administrators)

    async def promote(
        self, group_id: int, user: User, admin: bool = True, by: User | None = None
    ) -> dict[str, Any]:
        """The user becomes an administrator of the group (or stops being one): Telegram
        sends the bot a chat_member update, as it does when the bot is an admin there."""
        admins = [other for other in self.administrators_of(group_id) if other.id != user.id]
        if admin:
            admins.append(user)
        self.administrators[group_id] = admins
        member = {"status": "member", "user": user.as_json()}
        promoted = _administrator(user)
        old, new = (member, promoted) if admin else (promoted, member)
        change = {
            "chat": {"id": group_id, "type": "supergroup", "title": "Staff"},
            "from": (by or user).as_json(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return await self.queue({"chat_member": change})

    async def migrate_group(self, old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """The group becomes a supergroup: sends to the old id fail from now on, and the
        old group gets Telegram's service message naming the new id."""
        self.migrated[old_chat_id] = new_chat_id
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": old_chat_id, "type": "group", "title": "Staff"},
            "from": {"id": 7001, "is_bot": False, "first_name": "Maria"},
            "migrate_to_chat_id": new_chat_id,
        }
        return await self.queue({"message": message})

    async def queue(self, update: dict[str, Any]) -> dict[str, Any]:
        """Adds an update for the bot's next getUpdates; returns it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        return await self.queue_raw(update)

    async def queue_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Adds an update as is: the same update_id again is how Telegram redelivers."""
        self.queued_at.setdefault(update["update_id"], time.perf_counter())
        self._note_names(update)
        async with self._changed:
            self._pending.append(update)
            self._confirmed_below = min(self._confirmed_below, update["update_id"])
            self._changed.notify_all()
        return update

    def _note_names(self, found: Any) -> None:
        if isinstance(found, list):
            for item in found:
                self._note_names(item)
        elif isinstance(found, dict):
            for key, value in found.items():
                person = key in ("from", "contact", "user", "chat") and isinstance(value, dict)
                if person and not value.get("is_bot"):
                    for part in ("first_name", "last_name", "username"):
                        if isinstance(value.get(part), str) and value[part].strip():
                            self.names.add(value[part].strip())
                self._note_names(value)

    async def _user_message(
        self, user: User, content: dict[str, Any], text: str | None = None
    ) -> dict[str, Any]:
        return await self.queue(self.compose(user, content, text))

    def compose(
        self, user: User, content: dict[str, Any], text: str | None = None
    ) -> dict[str, Any]:
        """The patient writes: the update Telegram would deliver (not queued; a webhook
        test posts it itself)."""
        message_id = next(self._message_ids)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": user.chat(),
            "from": user.as_json(),
            **content,
        }
        self._record(ChatMessage(message_id, user.id, from_bot=False, text=text, raw=message))
        self._note_names(message)
        return {"update_id": next(self._update_ids), "message": message}

    def _record(self, message: ChatMessage) -> None:
        """Shows what a user wrote in their chat."""
        message.touched = next(self._touch)
        self.chats.setdefault(message.chat_id, []).append(message)
        self.version += 1

    # -- what the tests read -------------------------------------------------------------

    async def handled(self, *updates: dict[str, Any], timeout: float = 10) -> None:
        """Waits until the bot confirmed these updates (our poller confirms once it has
        stored them; a webhook is answered after the commit), then for `after_handled`."""
        last = max(update["update_id"] for update in updates)
        ids = {update["update_id"] for update in updates}
        await self.wait_for(
            lambda: self._confirmed_below > last or ids <= self._acknowledged,
            timeout,
            f"update {last} was not confirmed",
        )
        if self.after_handled is not None:
            # The bot sends its replies after the commit: wait for them too.
            await asyncio.wait_for(self.after_handled(), timeout)

    def confirmed(self, update_id: int) -> bool:
        """Whether the bot confirmed this update: by a later getUpdates offset, or by
        answering its webhook post with 2xx."""
        return self._confirmed_below > update_id or update_id in self._acknowledged

    async def wait_for(self, condition: Any, timeout: float = 10, what: str = "condition") -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(condition), timeout)
            except TimeoutError:
                raise AssertionError(f"timed out after {timeout}s: {what}") from None

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        return [message for message in self.chats.get(chat_id, []) if message.from_bot]

    def screen(self, chat_id: int) -> ChatMessage:
        """The bot message with buttons that the chat shows last (sent or edited last)."""
        candidates = [m for m in self.bot_messages(chat_id) if m.keyboard]
        if not candidates:
            raise AssertionError(f"the bot showed no buttons in chat {chat_id}")
        return max(candidates, key=lambda message: message.touched)

    def last_texts(self, chat_id: int, count: int) -> list[str | None]:
        """The texts of the bot's last `count` sent or edited messages, oldest first."""
        messages = sorted(self.bot_messages(chat_id), key=lambda message: message.touched)
        return [message.text for message in messages[-count:]]

    def unanswered_callbacks(self) -> list[str]:
        """Presses delivered to the bot that it never answered successfully."""
        queries = [
            update["callback_query"]["id"]
            for update in self._delivered
            if "callback_query" in update
        ]
        return [query for query in queries if query not in self.callback_answers]

    def hold(self, method: str) -> tuple[asyncio.Event, asyncio.Event]:
        """Makes the next call of `method` hang until released, then fail with 502.

        Returns (arrived, release): a test waits for `arrived`, does something while the
        bot is stuck mid-update (kills it, say), then sets `release`.
        """
        events = (asyncio.Event(), asyncio.Event())
        self._holds[method] = events
        return events

    def fail(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        description: str = "",
        chat_id: int | None = None,
    ) -> None:
        """Answers the next `times` calls of `method` (for `chat_id`, if given) with this
        error."""
        self._faults.append(Fault(method, status, times, retry_after, description, chat_id))

    def clear_faults(self) -> None:
        """Forgets the errors `fail` asked for and not yet given."""
        self._faults.clear()

    # -- the HTTP side -------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.call_counts[method] += 1
        if self.delay and method != "getUpdates":
            await asyncio.sleep(self.delay)  # getUpdates adds it once its wait is over
        if self.keep_calls:
            self.calls.append((method, params))
            self._notify()  # a test may wait for a call, failed ones included
        if problems := self.spec.check(method, params):
            self.violations.extend(problems)
            return _error(400, "Bad Request: stand-in: " + "; ".join(problems))
        if (fault := self._take_fault(method, params)) is not None:
            return _fault_response(fault)
        chaos = self.chaos
        if chaos is not None and method in chaos.methods and (kind := chaos.draw()) is not None:
            return await self._chaos_response(kind)
        if method in SENDING and self._over_flood_limit():
            self.call_counts["429 flood"] += 1
            return _error(429, "Too Many Requests: retry after 1", retry_after=1)
        if method in SENDING and (wait := self._over_group_limit(params)) is not None:
            self.call_counts["429 group"] += 1
            return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        if (held := self._holds.pop(method, None)) is not None:
            arrived, release = held
            arrived.set()
            await release.wait()
            return _error(502, "Bad Gateway")
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            self.violations.append(f"stand-in does not implement {method}")
            return _error(400, f"Bad Request: stand-in does not implement {method}")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.status, exc.description, **exc.parameters)
        finally:
            if self.keep_calls:
                self._notify()  # whatever a test waits for may have changed
        if method in SENDING:
            self.sent_to[int(params["chat_id"])] += 1
        if self.on_call is not None and (chat_id := self._chat_of_call(params)) is not None:
            self.on_call(chat_id, method)
        return web.json_response({"ok": True, "result": result})

    def _chat_of_call(self, params: dict[str, Any]) -> int | None:
        if "chat_id" in params:
            return int(params["chat_id"])
        return self._query_users.get(params.get("callback_query_id", ""))

    def _over_flood_limit(self) -> bool:
        if not self.messages_per_second:
            return False
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - 1:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.messages_per_second:
            return True
        self._recent_sends.append(now)
        return False

    def _over_group_limit(self, params: dict[str, Any]) -> int | None:
        """Seconds to wait when this send would be one too many for its group in the
        last minute; None when it may go (and then it counts)."""
        limit = self.group_messages_per_minute
        if not limit:
            return None
        try:
            chat_id = int(params.get("chat_id", 0))
        except ValueError:
            return None  # @channelusername: not a group we count
        if chat_id >= 0:
            return None
        now = time.monotonic()
        sends = self._group_sends.setdefault(chat_id, deque())
        while sends and sends[0] <= now - 60:
            sends.popleft()
        if len(sends) >= limit:
            return max(1, math.ceil(sends[0] + 60 - now))
        sends.append(now)
        return None

    async def _chaos_response(self, kind: str) -> web.Response:
        assert self.chaos is not None
        if kind == "429":
            retry_after = self.chaos.retry_after
            return _error(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        if kind == "timeout":
            await asyncio.sleep(self.chaos.hang)
            return _error(504, "Gateway Timeout")
        return _error(502, "Bad Gateway")

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.chat_id is not None and str(fault.chat_id) != params.get("chat_id"):
                continue
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = json.loads(params["commands"])
        if "scope" in params:
            scope = json.loads(params["scope"])
            self.chat_commands[int(scope["chat_id"])] = commands
        elif params.get("language_code"):
            self.commands_by_language[params["language_code"]] = commands
        else:
            self.commands = commands
        return True

    async def _api_getChatAdministrators(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_for(params)
        if chat_id > 0:
            # A private chat has no administrators: Telegram says so.
            raise _ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [_administrator(user) for user in self.administrators_of(chat_id)]

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = params["callback_query_id"]
        if query_id in self.callback_answers and self.refuse_repeated_answers:
            # Telegram takes one answer per press; not a spec violation, its behaviour.
            self.call_counts["400 answered again"] += 1
            raise _ApiError(400, QUERY_TOO_OLD)
        self.callback_answers.setdefault(query_id, params.get("text"))
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        timeout = float(params.get("timeout", 0))
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._changed:
            if offset:
                # Telegram forgets every update below the offset: they are confirmed.
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
                self._confirmed_below = max(self._confirmed_below, offset)
                self._changed.notify_all()
            deadline = time.monotonic() + timeout
            while not self._pending and time.monotonic() < deadline and not self._closing:
                if generation != self._poll_generation:
                    raise _ApiError(409, "Conflict: terminated by other getUpdates request")
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            if generation != self._poll_generation and not self._pending:
                raise _ApiError(409, "Conflict: terminated by other getUpdates request")
            batch = self._pending[:limit]
            now = time.perf_counter()
            for update in batch:
                self._mark_delivered(update, now)
        if self.delay:
            await asyncio.sleep(self.delay)  # outside the lock: patients keep tapping
        return batch

    def _mark_delivered(self, update: dict[str, Any], now: float) -> None:
        if update["update_id"] not in self._delivered_ids:
            self._delivered_ids.add(update["update_id"])
            self.delivered_at[update["update_id"]] = now
            if "callback_query" in update:
                self._delivered.append(update)

    # -- webhook delivery ----------------------------------------------------------------

    async def deliver_to_webhooks(
        self, urls: list[str], secret_token: str, max_connections: int = 40
    ) -> None:
        """From now on, posts each pending update to `urls` in turn (a load balancer in
        front of N workers) instead of serving getUpdates, at most `max_connections` at
        a time in all. A post answered with anything but 2xx, or failing, is made again
        after WEBHOOK_RETRY seconds until one gets a 2xx, as Telegram does."""
        if not urls:
            raise ValueError("no webhook URL")
        await self.stop_webhooks()
        self._webhook_stopping = False
        self._webhook_task = asyncio.get_running_loop().create_task(
            self._webhook_loop(list(urls), secret_token, max_connections)
        )

    async def stop_webhooks(self) -> None:
        """Stops posting; posts under way are abandoned (their updates stay unconfirmed)."""
        task, self._webhook_task = self._webhook_task, None
        if task is None:
            return
        self._webhook_stopping = True
        async with self._changed:
            self._changed.notify_all()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _webhook_loop(self, urls: list[str], secret_token: str, max_connections: int) -> None:
        turns = itertools.cycle(urls)
        slots = asyncio.Semaphore(max_connections)
        posts: set[asyncio.Task[None]] = set()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token}
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(
            connector=connector, headers=headers, timeout=timeout
        ) as session:

            async def post(update: dict[str, Any]) -> None:
                update_id = update["update_id"]
                body = json.dumps(update)
                while True:
                    async with slots:
                        self.webhook_posts[update_id] += 1
                        try:
                            async with session.post(
                                next(turns),
                                data=body,
                                headers={"Content-Type": "application/json"},
                            ) as response:
                                await response.read()
                                if 200 <= response.status < 300:
                                    break
                        except (aiohttp.ClientError, TimeoutError):
                            pass
                    self.webhook_failures += 1
                    await asyncio.sleep(WEBHOOK_RETRY)
                self._acknowledged.add(update_id)
                async with self._changed:
                    self._changed.notify_all()

            try:
                while True:
                    async with self._changed:
                        await self._changed.wait_for(
                            lambda: bool(self._pending) or self._webhook_stopping
                        )
                        if self._webhook_stopping:
                            return
                        batch, self._pending = self._pending, []
                        now = time.perf_counter()
                        for update in batch:
                            self._mark_delivered(update, now)
                    if self.delay:
                        await asyncio.sleep(self.delay)
                    for update in batch:
                        task = asyncio.get_running_loop().create_task(post(update))
                        posts.add(task)
                        task.add_done_callback(posts.discard)
            finally:
                for task in list(posts):
                    task.cancel()
                await asyncio.gather(*posts, return_exceptions=True)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_for(params)
        text = plain_text(params["text"], params.get("parse_mode"))
        return self._bot_message(chat_id, params, text=text, html=_html(params, "text"))

    async def _api_sendContact(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_for(params)
        contact = {"phone_number": params["phone_number"], "first_name": params["first_name"]}
        return self._bot_message(chat_id, params, contact=contact)

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat_for(params)
        upload = params["document"]
        body = upload.file.read() if hasattr(upload, "file") else b""
        name = getattr(upload, "filename", "file")
        document = {
            "file_id": f"doc-{name}",
            "file_unique_id": name,
            "file_name": name,
            "file_size": len(body),
        }
        caption = params.get("caption")
        if caption is not None:
            caption = plain_text(caption, params.get("parse_mode"))
        return self._bot_message(
            chat_id,
            params,
            document=document,
            document_bytes=body,
            text=caption,
            html=_html(params, "caption"),
        )

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        text = plain_text(params["text"], params.get("parse_mode"))
        keyboard = _keyboard(params)
        if message.text == text and message.keyboard == keyboard:
            self.call_counts["400 not modified"] += 1
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message "
                "content and reply markup are exactly the same as a current "
                "content and reply markup of the message",
            )
        message.html = _html(params, "text")
        return self._edit(message, text=text, keyboard=keyboard)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._find(params)
        return self._edit(message, text=message.text, keyboard=_keyboard(params))

    def _chat_for(self, params: dict[str, Any]) -> int:
        chat_id = int(params["chat_id"])
        if chat_id in self.migrated:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self.migrated[chat_id],
            )
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.chats and chat_id > 0:
            raise _ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _find(self, params: dict[str, Any]) -> ChatMessage:
        chat_id = self._chat_for(params)
        message_id = int(params["message_id"])
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id and message.from_bot:
                return message
        raise _ApiError(400, "Bad Request: message to edit not found")

    def _bot_message(
        self, chat_id: int, params: dict[str, Any], text: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        message = ChatMessage(
            next(self._message_ids),
            chat_id,
            from_bot=True,
            text=text,
            keyboard=_keyboard(params),
            force_reply=_force_reply(params),
            touched=next(self._touch),
            **extra,
        )
        self._track_reply_keyboard(chat_id, params)
        message.raw = self._raw(message)
        self.chats.setdefault(chat_id, []).append(message)
        self._notify()
        return message.raw

    def _track_reply_keyboard(self, chat_id: int, params: dict[str, Any]) -> None:
        markup = json.loads(params.get("reply_markup") or "{}")
        if "keyboard" in markup:
            self.reply_keyboards[chat_id] = markup["keyboard"]
        elif markup.get("remove_keyboard"):
            self.reply_keyboards.pop(chat_id, None)

    def _edit(self, message: ChatMessage, text: str | None, keyboard: list[Any]) -> Any:
        message.text, message.keyboard = text, keyboard
        message.edits += 1
        message.touched = next(self._touch)
        message.raw = self._raw(message)
        self._notify()
        return message.raw

    def _raw(self, message: ChatMessage) -> dict[str, Any]:
        chat = (
            {"id": message.chat_id, "type": "private", "first_name": "Patient"}
            if message.chat_id > 0
            else {"id": message.chat_id, "type": "supergroup", "title": "Staff"}
        )
        raw: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
        }
        if message.text is not None and message.document is None:
            raw["text"] = message.text
        if message.keyboard:
            raw["reply_markup"] = {"inline_keyboard": message.keyboard}
        if message.contact is not None:
            raw["contact"] = message.contact
        if message.document is not None:
            raw["document"] = message.document
            if message.text:
                raw["caption"] = message.text
        if message.edits:
            raw["edit_date"] = int(time.time())
        return raw

    async def changed_since(self, version: int, timeout: float) -> int:
        """Waits until a chat changed after `version`, or `timeout` seconds; returns the
        version now."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.version != version), timeout
                )
        return self.version

    def touch(self) -> None:
        """Something a page of the chats shows changed outside them (the clock, say)."""
        self._notify()

    def _notify(self) -> None:
        self.version += 1

        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())


class _ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def _error(status: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _administrator(user: User) -> dict[str, Any]:
    """A ChatMemberAdministrator, with the fields the Bot API requires."""
    rights = (
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    )
    return {
        "status": "administrator",
        "user": user.as_json(),
        "can_be_edited": False,
        "is_anonymous": False,
        **dict.fromkeys(rights, True),
    }


def _fault_response(fault: Fault) -> web.Response:
    if fault.status == 429:
        retry_after = fault.retry_after or 1
        return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
    if fault.status == 403:
        return _error(403, fault.description or "Forbidden: bot was blocked by the user")
    return _error(fault.status, fault.description or "Bad Gateway")


def _html(params: dict[str, Any], name: str) -> str | None:
    """The text as sent with its HTML formatting, if it has any."""
    if params.get("parse_mode", "").upper() != "HTML":
        return None
    text: str | None = params.get(name)
    return text


def _keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = params.get("reply_markup")
    if not markup:
        return []
    keyboard: list[list[dict[str, Any]]] = json.loads(markup).get("inline_keyboard", [])
    return keyboard


def _force_reply(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    if not markup:
        return None
    data = json.loads(markup)
    return data if data.get("force_reply") else None


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    if request.method == "GET":
        return dict(request.query)
    form = await request.post()
    return dict(form)


__all__ = ["TOKEN", "ChatMessage", "HtmlError", "StandIn", "User"]
