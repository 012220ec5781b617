"""Which bot processes are alive, for taking over the claims of one that died.

A claimed outbox row belongs to the process that claimed it until its lease runs out
(db.outbox). On PostgreSQL a process that died need not be waited for: each process
holds a session-level advisory lock on its own key for as long as it runs, on a
connection of its own, and PostgreSQL drops the lock the moment that connection
closes (the process exited, was killed, or lost its network). A claim whose owner
holds no lock is free at once. SQLite serves one process, which frees every claim at
start instead.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.engine import Database

log = logging.getLogger(__name__)

# True for an outbox row whose claiming process holds no lock: it is gone. pg_locks
# shows a bigint advisory key as two 32-bit halves (classid, objid).
OWNER_GONE = text(
    "NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND objsubid = 1 AND classid::bigint = (outbox.claimed_by >> 32) "
    "AND objid::bigint = (outbox.claimed_by & 4294967295))"
)


class Liveness:
    """This process's key, and the lock that tells others it is alive."""

    def __init__(self, database: Database) -> None:
        self._database = database
        # Positive and below 2**62, so that both halves read back as they were written.
        self.key = secrets.randbelow(2**62 - 1) + 1
        self._connection: AsyncConnection | None = None

    @property
    def tracked(self) -> bool:
        """Whether other processes can see that this one is alive (PostgreSQL)."""
        return not self._database.is_sqlite

    async def hold(self) -> None:
        """Takes the lock, or takes it again after the connection was lost."""
        if not self.tracked:
            return
        if self._connection is not None:
            try:
                await self._connection.execute(select(1))
                return
            except Exception:
                log.warning("lost the liveness connection; taking the lock again")
                await self._close()
        connection = await self._database.engine.connect()
        # Autocommit: no transaction stays open on it for the life of the process.
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(select(func.pg_advisory_lock(self.key)))
        self._connection = connection

    async def release(self) -> None:
        await self._close()

    async def _close(self) -> None:
        if self._connection is not None:
            try:
                # Closed for real, not handed back to the pool still holding the lock
                # (the pool only rolls back): the lock goes with it.
                await self._connection.invalidate()
                await self._connection.close()
            except Exception:
                log.debug("liveness connection already gone")
            self._connection = None
