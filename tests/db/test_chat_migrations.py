"""db.chat_migrations: a group that became a supergroup, and its pending messages."""

from __future__ import annotations

from sqlalchemy import select

from db import chat_migrations, outbox
from db.engine import Database
from db.models import ChatMigration, OutboxMessage
from tests.db.support import NOW

move = chat_migrations.record


async def test_a_move_is_followed_and_readdresses_pending_messages(database: Database) -> None:
    async with database.transaction() as session:
        for chat_id in (-100, -100, 555):
            outbox.enqueue(session, kind="card", chat_id=chat_id, due_at=NOW, now=NOW)
        outbox.enqueue(session, kind="card", chat_id=-100, due_at=NOW, now=NOW)
        await session.flush()
        sent = (await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
        await outbox.mark_sent(session, sent=[(sent[-1], NOW)])
        assert await chat_migrations.current_id(session, chat_id=-100) == -100
    async with database.transaction() as session:
        assert await move(session, old_chat_id=-100, new_chat_id=-1001, now=NOW) == 2
    async with database.transaction() as session:
        # Reported again (the service message and a refused send): nothing changes.
        assert await move(session, old_chat_id=-100, new_chat_id=-1001, now=NOW) == 0
        assert await move(session, old_chat_id=-1001, new_chat_id=-1002, now=NOW) == 2
    async with database.transaction() as session:
        assert await chat_migrations.current_id(session, chat_id=-100) == -1002
        assert await chat_migrations.current_id(session, chat_id=-1001) == -1002
        assert await chat_migrations.current_id(session, chat_id=555) == 555
        rows = (
            await session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.status).order_by(OutboxMessage.id)
            )
        ).all()
        assert rows == [(-1002, "pending"), (-1002, "pending"), (555, "pending"), (-100, "sent")]
        moves = (
            await session.execute(select(ChatMigration.old_chat_id, ChatMigration.new_chat_id))
        ).all()
        assert sorted(moves) == [(-1001, -1002), (-100, -1001)]


async def test_a_cycle_written_by_hand_ends(database: Database) -> None:
    async with database.transaction() as session:
        session.add(ChatMigration(old_chat_id=-1, new_chat_id=-2, migrated_at=NOW))
        session.add(ChatMigration(old_chat_id=-2, new_chat_id=-1, migrated_at=NOW))
    async with database.transaction() as session:
        assert await chat_migrations.current_id(session, chat_id=-1) in (-1, -2)
