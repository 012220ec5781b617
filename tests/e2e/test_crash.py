"""SIGKILL the bot process and start it again: the patient goes on where they were."""

from __future__ import annotations

import asyncio
import signal

from sqlalchemy import func, select

from db.engine import Database
from db.models import FlowState, MessageLog, ProcessedUpdate
from tests.botapi.server import StandIn, User
from tests.e2e.conftest import Launch


async def kill(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGKILL)
    await process.wait()


async def test_sigkill_after_a_step_loses_nothing(
    standin: StandIn, launch: Launch, database_url: str, ana: User
) -> None:
    bot = await launch()
    await standin.handled(await standin.send_text(ana, "/start"), timeout=30)
    await standin.handled(await standin.press(ana, "ℹ️ About the treatment"))
    await standin.handled(await standin.press(ana, "How much does it cost?"))
    await kill(bot)

    await launch()
    # Typed text shows the step the patient was on: the state came from the database.
    await standin.handled(await standin.send_text(ana, "hello?"), timeout=30)
    assert standin.last_texts(ana.id, 1)[0].startswith("Cost")  # type: ignore[union-attr]
    await standin.handled(await standin.press(ana, "« Other questions"))
    await standin.handled(await standin.press(ana, "Recovery: CO2 vs erbium"))
    assert standin.screen(ana.id).text.startswith("Recovery time")  # type: ignore[union-attr]

    database = Database(database_url)
    async with database.transaction() as session:
        incoming = (
            (
                await session.execute(
                    select(MessageLog.update_id).where(MessageLog.direction == "in")
                )
            )
            .scalars()
            .all()
        )
        outgoing = await session.scalar(
            select(func.count()).select_from(MessageLog).where(MessageLog.direction == "out")
        )
        step = await session.scalar(select(FlowState.step))
    await database.dispose()
    assert len(incoming) == 6 and len(set(incoming)) == 6
    sent = [m for m, _ in standin.calls if m in ("sendMessage", "editMessageText")]
    assert outgoing == len(sent) == 7  # 5 screens, plus notice and re-shown step for "hello?"
    assert step == "recovery"


async def test_sigkill_mid_update_replays_it_once(
    standin: StandIn, launch: Launch, database_url: str, ana: User
) -> None:
    bot = await launch()
    await standin.handled(await standin.send_text(ana, "/start"), timeout=30)
    arrived, release = standin.hold("editMessageText")
    press = await standin.press(ana, "ℹ️ About the treatment")
    await asyncio.wait_for(arrived.wait(), 10)
    await kill(bot)  # inside the update's transaction: nothing of it was committed
    release.set()

    await launch()
    await standin.handled(press, timeout=30)
    assert standin.screen(ana.id).text == (
        "What would you like to know about laser skin resurfacing?"
    )
    database = Database(database_url)
    async with database.transaction() as session:
        handled = (await session.execute(select(ProcessedUpdate.update_id))).scalars().all()
        logged = (
            await session.execute(
                select(MessageLog.direction, MessageLog.kind).order_by(MessageLog.id)
            )
        ).all()
        step = await session.scalar(select(FlowState.step))
    await database.dispose()
    assert sorted(handled) == sorted({press["update_id"], handled[0]})
    assert [tuple(row) for row in logged] == [
        ("in", "command"),
        ("out", "text"),
        ("in", "button"),
        ("out", "edit"),
    ]
    assert step == "list"
