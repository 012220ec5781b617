"""The playground's page: a patient's chat and the staff group side by side, live.

Plain aiohttp: the page and its script are static files; the chats reach it as
server-sent events (a snapshot of both panes whenever a chat changes), and what the
visitor does goes back as small JSON posts that the stand-in turns into the updates
Telegram would deliver. The bot's HTML is re-emitted through an allow-list, so a
patient's name can never become markup on the page.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.playground.botapi import ChatMessage, User
from bot.playground.session import STAFF_CHAT_ID, STAFF_MEMBER, Playground
from db import outbox

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
PLAYGROUND: web.AppKey[Playground] = web.AppKey("playground", Playground)
# How often an idle event stream says it is alive (proxies drop silent connections).
KEEPALIVE = 15.0


# -- what the page shows --------------------------------------------------------------------

# Telegram's formatting tags that the page shows as they are; <a> keeps a safe href.
_KEPT = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "blockquote"}
_SAFE_LINKS = ("http://", "https://", "tg://", "tel:")


class _Safe(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _KEPT:
            self.out.append(f"<{tag}>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            safe = href.startswith(_SAFE_LINKS) and not href.startswith("tg://")
            self.links.append(safe)
            if safe:
                self.out.append(f'<a href="{html.escape(href)}" target="_blank" rel="noopener">')

    def handle_endtag(self, tag: str) -> None:
        if tag in _KEPT:
            self.out.append(f"</{tag}>")
        elif tag == "a" and self.links and self.links.pop():
            self.out.append("</a>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data))


def safe_html(message: ChatMessage) -> str:
    """The message's text as HTML the page can show: formatting kept, nothing else."""
    if message.html is None:
        return html.escape(message.text or "")
    parser = _Safe()
    parser.feed(message.html)
    parser.close()
    return "".join(parser.out)


def _message(message: ChatMessage) -> dict[str, Any]:
    sender = message.raw.get("from", {})
    view: dict[str, Any] = {
        "id": message.message_id,
        "from_bot": message.from_bot,
        "sender": sender.get("first_name", ""),
        "html": safe_html(message),
        "edited": message.edits > 0,
        "buttons": [
            [
                {
                    "text": button["text"],
                    "data": button.get("callback_data"),
                    "url": button.get("url"),
                }
                for button in row
            ]
            for row in message.keyboard
        ],
    }
    if message.document is not None:
        view["document"] = {
            "name": message.document["file_name"],
            "url": f"/api/file/{message.chat_id}/{message.message_id}",
        }
    if message.contact is not None:
        view["contact"] = message.contact
    if "contact" in message.raw and not message.from_bot:
        view["html"] = "📱 " + html.escape(message.raw["contact"]["phone_number"])
    elif not message.from_bot and message.text is None:
        view["html"] = "<i>(a sticker or a file)</i>"
    return view


def _chat(playground: Playground, chat_id: int) -> dict[str, Any]:
    messages = sorted(playground.standin.chats.get(chat_id, []), key=lambda m: m.message_id)
    return {
        "chat_id": chat_id,
        "messages": [_message(m) for m in messages],
        "reply_keyboard": [
            [{"text": b["text"], "contact": bool(b.get("request_contact"))} for b in row]
            for row in playground.standin.reply_keyboards.get(chat_id, [])
        ],
    }


def snapshot(playground: Playground, patient: User) -> dict[str, Any]:
    services = playground.application.bot_data["services"]
    return {
        "clock": services.for_staff.dates(services.zone).when(playground.clock()),
        "patients": [
            {
                "id": p.id,
                "name": " ".join(filter(None, (p.first_name, p.last_name))),
                "language": p.language_code,
            }
            for p in playground.patients
        ],
        "patient": {"id": patient.id, "name": patient.first_name, **_chat(playground, patient.id)},
        "staff": {
            "name": "Clinic staff",
            "member": STAFF_MEMBER.first_name,
            **_chat(playground, STAFF_CHAT_ID),
        },
    }


# -- routes ---------------------------------------------------------------------------------


def _playground(request: web.Request) -> Playground:
    return request.app[PLAYGROUND]


def _patient(request: web.Request, raw: Any) -> User:
    try:
        return _playground(request).patient(int(raw))
    except (KeyError, TypeError, ValueError):
        raise web.HTTPBadRequest(text="unknown patient") from None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="expected a JSON object") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the panes as they are now, then again after each change."""
    playground = _playground(request)
    patient = _patient(request, request.query.get("patient"))
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    version, sent = -1, ""
    try:
        while True:
            current = json.dumps(snapshot(playground, patient))
            if current != sent:
                await response.write(f"data: {current}\n\n".encode())
                sent = current
            else:
                await response.write(b": still here\n\n")
            version = await playground.standin.changed_since(version, KEEPALIVE)
            await asyncio.sleep(0.05)  # a burst of edits arrives as one snapshot
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def send(request: web.Request) -> web.Response:
    """The visitor writes, as the patient or as the staff member in the group."""
    playground, body = _playground(request), await _body(request)
    text = str(body.get("text") or "").strip()
    if not text:
        raise web.HTTPBadRequest(text="empty message")
    if body.get("chat") == "staff":
        await playground.standin.send_group_text(STAFF_MEMBER, STAFF_CHAT_ID, text[:4096])
    else:
        await playground.standin.send_text(_patient(request, body.get("patient")), text[:4096])
    return web.json_response({"ok": True})


async def press(request: web.Request) -> web.Response:
    """The visitor taps an inline button on a message."""
    playground, body = _playground(request), await _body(request)
    staff = body.get("chat") == "staff"
    user = STAFF_MEMBER if staff else _patient(request, body.get("patient"))
    chat_id = STAFF_CHAT_ID if staff else user.id
    for message in playground.standin.chats.get(chat_id, []):
        if message.message_id == body.get("message_id") and message.from_bot:
            await playground.standin.press_data(user, message, str(body.get("data")))
            return web.json_response({"ok": True})
    raise web.HTTPBadRequest(text="no such message")


async def share_contact(request: web.Request) -> web.Response:
    playground, body = _playground(request), await _body(request)
    patient = _patient(request, body.get("patient"))
    await playground.standin.send_contact(patient, playground.phone_of(patient))
    return web.json_response({"ok": True})


async def add_patient(request: web.Request) -> web.Response:
    playground, body = _playground(request), await _body(request)
    patient = playground.add_patient(
        str(body.get("first_name") or ""), body.get("last_name"), str(body.get("language") or "en")
    )
    return web.json_response({"id": patient.id})


async def move_clock(request: web.Request) -> web.Response:
    """Moves the bot's clock: +1 hour, +1 day, to 8:59 tomorrow (clinic time), or to
    the next scheduled message."""
    playground, body = _playground(request), await _body(request)
    clock, zone = playground.clock, playground.application.bot_data["services"].zone
    match body.get("to"):
        case "hour":
            clock.jump_to(clock() + timedelta(hours=1))
        case "day":
            clock.jump_to(clock() + timedelta(days=1))
        case "tomorrow_0859":
            tomorrow = clock().astimezone(zone).date() + timedelta(days=1)
            clock.jump_to(datetime.combine(tomorrow, time(8, 59), tzinfo=zone))
        case "next_message":
            # To the moment the next scheduled message (reminder, nudge...) falls due.
            database = playground.application.bot_data["services"].database
            async with database.transaction() as session:
                due_at = await outbox.next_due(session, after=clock())
            if due_at is not None:
                clock.jump_to(due_at)
        case _:
            raise web.HTTPBadRequest(text="to: hour, day, tomorrow_0859 or next_message")
    playground.save()
    playground.standin.touch()  # the page shows the new time at once
    # The dispatcher finds what fell due at its next tick (a second in the playground).
    return web.json_response({"ok": True})


async def download(request: web.Request) -> web.Response:
    """A document the bot sent (.ics, CSV, /mydata JSON), as a download."""
    playground = _playground(request)
    chat_id, message_id = int(request.match_info["chat"]), int(request.match_info["message"])
    for message in playground.standin.chats.get(chat_id, []):
        if message.message_id == message_id and message.document is not None:
            name = message.document["file_name"]
            return web.Response(
                body=message.document_bytes or b"",
                content_type="application/octet-stream",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
    raise web.HTTPNotFound()


def make_app(playground: Playground) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[PLAYGROUND] = playground
    app.router.add_get("/", index)
    app.router.add_static("/static", STATIC)
    app.router.add_get("/api/events", events)
    app.router.add_post("/api/send", send)
    app.router.add_post("/api/press", press)
    app.router.add_post("/api/contact", share_contact)
    app.router.add_post("/api/patients", add_patient)
    app.router.add_post("/api/clock", move_clock)
    app.router.add_get("/api/file/{chat}/{message}", download)
    return app
