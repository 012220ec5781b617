"""The stand-in's own behaviour that benchmarks and tests rely on: the simulated round
trip, Telegram's group limit, the refused second button answer, webhook delivery."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.playground.botapi import QUERY_TOO_OLD, TOKEN, StandIn, User

ANA = User(5551001, "Ana")


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _call(
    client: aiohttp.ClientSession, server: StandIn, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with client.post(f"{server.base_url}{TOKEN}/{method}", json=params) as answer:
        return answer.status, await answer.json()


async def test_every_call_is_answered_after_the_round_trip_without_queueing(
    client: aiohttp.ClientSession,
) -> None:
    server = StandIn(delay=0.2)
    await server.start()
    try:
        started = time.perf_counter()
        answers = await asyncio.gather(*(_call(client, server, "getMe") for _ in range(10)))
        took = time.perf_counter() - started
    finally:
        await server.close()
    assert [status for status, _ in answers] == [200] * 10
    assert 0.2 <= took < 0.6  # ten at once take one round trip, not ten


async def test_a_group_gets_a_limited_number_of_messages_a_minute(
    client: aiohttp.ClientSession,
) -> None:
    server = StandIn(group_messages_per_minute=3)
    await server.start()
    try:
        statuses = []
        for _ in range(4):
            status, body = await _call(client, server, "sendMessage", chat_id=-100, text="card")
            statuses.append(status)
        other, _ = await _call(client, server, "sendMessage", chat_id=-200, text="card")
    finally:
        await server.close()
    assert statuses == [200, 200, 200, 429]
    assert 55 <= body["parameters"]["retry_after"] <= 60
    assert other == 200  # counted per group
    assert server.sent_to[-100] == 3
    assert server.violations == []


async def test_a_second_answer_to_one_press_is_refused_and_the_first_kept(
    client: aiohttp.ClientSession,
) -> None:
    server = StandIn()
    await server.start()
    try:
        server.chats[ANA.id] = []
        await _call(
            client,
            server,
            "sendMessage",
            chat_id=ANA.id,
            text="Menu",
            reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
        )
        pressed = await server.press(ANA, "Go")
        await _call(client, server, "getUpdates", timeout=0)
        assert server.unanswered_callbacks() == [pressed["callback_query"]["id"]]
        query_id = pressed["callback_query"]["id"]
        first, _ = await _call(client, server, "answerCallbackQuery", callback_query_id=query_id)
        second, body = await _call(
            client, server, "answerCallbackQuery", callback_query_id=query_id, text="again"
        )
    finally:
        await server.close()
    assert (first, second) == (200, 400)
    assert body["description"] == QUERY_TOO_OLD
    assert server.callback_answers == {query_id: None}
    assert server.unanswered_callbacks() == []
    assert server.violations == []  # Telegram's behaviour, not the bot breaking the spec


async def test_webhook_delivery_goes_round_robin_and_posts_again_until_2xx() -> None:
    seen: dict[str, list[int]] = {"a": [], "b": []}
    refuse = {"a": 1}
    runners = []

    async def worker(name: str) -> str:
        async def handle(request: web.Request) -> web.Response:
            assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "secret"
            seen[name].append((await request.json())["update_id"])
            if refuse.get(name):
                refuse[name] -= 1
                return web.Response(status=503)
            return web.Response(status=200)

        app = web.Application()
        app.router.add_post("/telegram", handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}/telegram"

    server = StandIn(delay=0.01)
    await server.start()
    try:
        urls = [await worker("a"), await worker("b")]
        await server.deliver_to_webhooks(urls, "secret", max_connections=2)
        updates = [await server.send_text(ANA, f"message {n}") for n in range(4)]
        await server.handled(*updates, timeout=10)
    finally:
        await server.close()
        for runner in runners:
            await runner.cleanup()
    ids = [update["update_id"] for update in updates]
    assert sorted(set(seen["a"]) | set(seen["b"])) == ids
    assert seen["a"] and seen["b"]
    assert sum(server.webhook_posts.values()) == 5  # one refused post made again
    assert server.webhook_failures == 1
    assert all(server.confirmed(update_id) for update_id in ids)
    assert set(server.delivered_at) == set(ids)
