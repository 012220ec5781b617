"""python-telegram-bot's HTTP layer on aiohttp instead of httpx.

`BaseRequest` is python-telegram-bot's documented extension point for the transport;
everything above it (request building, errors, rate limiting, parsing) stays the
library's. Measured on this project's benchmark machine against the stand-in Bot API,
httpx's connection pool costs 1.5-3 ms of CPU per call under concurrency (httpx issue
3215) while aiohttp, already a dependency for the webhook server, costs about a tenth of
that; a bot that sends every reply after commit spends most of its CPU here.
The ptbcontrib project's `aiohttp_request` follows the same idea.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Timeouts as python-telegram-bot's HTTPXRequest has them, in seconds.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
# A document upload may take longer than a message.
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool.

    `read_timeout` is also used by python-telegram-bot to lengthen the wait of a long
    poll (getUpdates with a timeout): it adds the poll's timeout to it per call.
    """

    __slots__ = ("_connections", "_read_timeout", "_session")

    def __init__(self, connections: int = 64, read_timeout: float = READ_TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # No trust_env: it reads ~/.netrc and the proxy variables on every request,
            # a few percent of the bot's CPU; the Bot API is reached directly.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections)
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        connect = _given(connect_timeout, CONNECT_TIMEOUT)
        # aiohttp has no separate write timeout: the whole call may take the three.
        total = None if read is None else read + (write or 0) + (connect or 0)
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=_given(pool_timeout, CONNECT_TIMEOUT),
            sock_connect=connect,
            sock_read=read,
        )
        headers = {"User-Agent": self.USER_AGENT}
        body: aiohttp.FormData | bytes | None = None
        if request_data is not None and request_data.contains_files:
            body = _multipart(request_data)
        elif request_data is not None:
            # JSON, which Telegram accepts: encoding long texts as a form costs more.
            body = request_data.json_payload
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except asyncio.CancelledError:
            raise


def _given(value: ODVInput[float], default: float) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """Form fields as python-telegram-bot encodes them, and the files."""
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
