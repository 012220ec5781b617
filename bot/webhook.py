"""The webhook server: Telegram posts each update; the answer waits for its commit.

python-telegram-bot's own webhook answers 200 as soon as an update is queued, so a
crash right after would lose it. Here the answer is 200 only once the update's
transaction committed (or it was a duplicate, or a bug we logged and apologised for);
if Telegram or the database failed, the answer is 503 and Telegram posts it again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import Counter
from collections.abc import Callable

from aiohttp import web
from sqlalchemy import text
from telegram import Update

from bot.processor import RetryLater
from bot.settings import WebhookSettings
from handlers.context import ClinicApp
from services.context import Services

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
# A load balancer's check must answer quickly, even with the database hanging.
HEALTH_TIMEOUT = 3.0
# Refused posts (a scanner, a wrong secret after a rotation) are logged at most this
# often, with how many there were since: one line a minute, never one per request.
REFUSAL_LOG_INTERVAL = 60.0


class RefusalLog:
    """Counts refused requests by reason and logs them at most once per interval."""

    def __init__(
        self, interval: float = REFUSAL_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._unlogged: Counter[str] = Counter()

    def refused(self, reason: str) -> None:
        self._unlogged[reason] += 1
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            return
        self._last = now
        counts = ", ".join(f"{why}={count}" for why, count in sorted(self._unlogged.items()))
        self._unlogged.clear()
        log.warning(
            "webhook requests refused %s (logged at most every %.0f s)", counts, self._interval
        )


class WebhookServer:
    def __init__(self, application: ClinicApp, settings: WebhookSettings) -> None:
        self._app = application
        self._settings = settings
        self._secret = settings.webhook_secret_token.get_secret_value().encode()
        self._runner: web.AppRunner | None = None
        self.refusals = RefusalLog()
        self.port = settings.webhook_port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self._settings.path, self._update)
        app.router.add_get(HEALTH_PATH, self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.webhook_listen, self._settings.webhook_port)
        await site.start()
        if self.port == 0:  # tests ask for any free port
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info(
            "webhook listening address=%s port=%s path=%s",
            self._settings.webhook_listen,
            self.port,
            self._settings.path,
        )

    async def stop(self) -> None:
        """Stops taking updates; those being handled finish first."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.refusals.refused("wrong_secret")
            return web.Response(status=403)
        update: Update | None = None
        try:
            body = await request.json()
            # Telegram posts one JSON object with an integer id; `[]`, `"x"` or `3` is
            # not an update (and would make de_json raise AttributeError).
            if isinstance(body, dict) and type(body.get("update_id")) is int:
                update = Update.de_json(body, self._app.bot)
        except (
            json.JSONDecodeError,
            UnicodeDecodeError,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
        ):
            update = None
        if update is None:
            self.refusals.refused("not_an_update")
            return web.Response(status=400)
        processor = self._app.update_processor
        try:
            await processor.process_update(update, self._app.process_update(update))
        except RetryLater:
            return web.Response(status=503)  # Telegram posts it again later
        except Exception:
            log.exception("update could not be handled update_id=%s", update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)

    async def _health(self, request: web.Request) -> web.Response:
        """200 when the bot runs and its database answers; 503 otherwise."""
        services: Services = self._app.bot_data["services"]
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with services.database.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("health check failed error=%s", type(exc).__name__)
            return web.json_response({"status": "database unavailable"}, status=503)
        if not self._app.running:
            return web.json_response({"status": "stopping"}, status=503)
        return web.json_response({"status": "ok"})
