"""The engine, sessions, and the one way to open a transaction."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

POOL_SIZE = 10
MAX_OVERFLOW = 10


@dataclass
class _Open:
    """Marks a transaction as open for the task that opened it and the tasks it starts."""

    open: bool = True


_TRANSACTION: ContextVar[_Open | None] = ContextVar("clinic_transaction", default=None)


def in_transaction() -> bool:
    """Whether the running task holds a database transaction open right now.

    No Bot API call may be made then: a transaction waiting on the network holds
    SQLite's single writer, or PostgreSQL's connection and row locks, for everyone.
    A task started inside a transaction inherits the mark, which turns false once that
    transaction ends.
    """
    current = _TRANSACTION.get()
    return current is not None and current.open


def _tune_sqlite(engine: AsyncEngine) -> None:
    """Gives SQLite real transactions, WAL and foreign keys.

    pysqlite delays BEGIN until the first write, so reads earlier in a transaction are
    not isolated; BEGIN IMMEDIATE takes the write lock at the start instead, which also
    means two processes on one file wait for each other (busy_timeout) rather than
    failing with "database is locked" halfway through an update. This is SQLAlchemy's
    documented recipe for aiosqlite.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str | URL) -> AsyncEngine:
    """hide_parameters: a database error's text names its statement's parameters, which
    are health data (a pre-screen answer, a phone, a name); logged with its traceback, it
    would put them in the log. Hidden, the error still names the statement."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, hide_parameters=True)
        _tune_sqlite(engine)
        return engine
    # pre_ping lets the bot ride out a database restart without restarting itself.
    return create_async_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        pool_pre_ping=True,
        hide_parameters=True,
    )


class _Gate:
    """A semaphore whose urgent waiters go before the others, each kind in order."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),  # urgent
            deque(),
        )

    async def acquire(self, *, urgent: bool) -> None:
        if self._free > 0 and not any(self._waiting):
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiting[0 if urgent else 1]
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # our turn came as we were cancelled: pass it on
            else:
                queue.remove(turn)
            raise

    def release(self) -> None:
        for queue in self._waiting:
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self._free += 1


class Database:
    """Owns the engine and hands out transactions, never more than the database can take.

    SQLite has one writer at a time, so transactions are queued here in order instead of
    contending for the file lock; PostgreSQL gets as many as the connection pool holds.
    """

    def __init__(self, url: str | URL) -> None:
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._gate = _Gate(1 if self.is_sqlite else POOL_SIZE + MAX_OVERFLOW)

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """Commits when the block ends normally, rolls back when it raises.

        `urgent` transactions (storing a fetched batch of updates: one statement) go
        before queued update transactions, so a queue of patients' updates never
        delays the next fetch.
        """
        await self._gate.acquire(urgent=urgent)
        try:
            async with self.sessions() as session, session.begin():
                mark = _Open()
                token = _TRANSACTION.set(mark)
                try:
                    yield session
                finally:
                    mark.open = False
                    _TRANSACTION.reset(token)
        finally:
            self._gate.release()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def core(session: AsyncSession) -> AsyncConnection:
    """The session's connection, for Core statements on the busiest paths (every update,
    every sent message): the ORM session's own bookkeeping costs about 0.2 ms a
    statement on top of the statement itself. Such statements see no ORM object added
    but not yet flushed; the ones that run here never need to."""
    return await session.connection()
