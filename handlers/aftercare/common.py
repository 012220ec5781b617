"""What the aftercare handlers share: the flow's steps and typed state, the patient's
day and small keyboard helpers (handlers.steps answers stale buttons)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from clinic.aftercare import Laser
from clinic.when import local_date
from handlers import steps
from handlers.callbacks import parse_plan_button
from handlers.context import ClinicContext
from handlers.navigation import back_to_menu, menu_keyboard
from handlers.replies import answer_button, send, show
from services import aftercare
from services.aftercare import Plan

FLOW = "aftercare"
Screen = tuple[str, InlineKeyboardMarkup]


class Step(StrEnum):
    LASER = "laser"
    DATE = "date"
    DATE_INPUT = "date_input"
    OFFER = "offer"
    TIME = "time"
    STATUS = "status"
    CHANGE_TIME = "change_time"


@dataclass(frozen=True)
class SetUp:
    """The aftercare flow's state, as stored in Flow.data (same keys as ever, so a flow
    saved by an older version reads the same)."""

    laser: Laser | None = None
    treated_on: date | None = None
    invited: int | None = None  # the invitation being answered: no Back to the date
    plan: int | None = None  # the plan on screen (status, change of time)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> SetUp:
        laser, treated_on = data.get("laser"), data.get("treated_on")
        invited, plan = data.get("invited"), data.get("plan")
        return cls(
            laser=Laser(laser) if laser in tuple(Laser) else None,
            treated_on=date.fromisoformat(treated_on) if isinstance(treated_on, str) else None,
            invited=int(invited) if invited else None,
            plan=int(plan) if plan else None,
        )

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.laser is not None:
            data["laser"] = self.laser.value
        if self.treated_on is not None:
            data["treated_on"] = self.treated_on.isoformat()
        if self.invited is not None:
            data["invited"] = self.invited
        if self.plan is not None:
            data["plan"] = self.plan
        return data


def state(context: ClinicContext) -> SetUp:
    return SetUp.of(context.flow.data if context.flow.name == FLOW else {})


def go(context: ClinicContext, step: Step, to: SetUp | None = None) -> None:
    context.flow.go(FLOW, step)
    context.flow.data = (to or SetUp()).to_data()


def at(context: ClinicContext, *at_steps: Step) -> bool:
    return steps.at(context, FLOW, *at_steps)


def leave(context: ClinicContext) -> None:
    """Leaves the flow, if the patient is in it."""
    if context.flow.name == FLOW:
        context.flow.reset()


def patient(context: ClinicContext) -> int:
    assert context.scope.patient_id is not None
    return context.scope.patient_id


def today(context: ClinicContext) -> date:
    return local_date(context.scope.now, context.services.zone)


def button(context: ClinicContext, key: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(context.text(key), callback_data=data)


def rows(*lines: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([line for line in lines if line])


async def current(context: ClinicContext) -> Plan | None:
    return await aftercare.running(context.session, patient_id=patient(context))


async def pressed_plan(update: Update, context: ClinicContext) -> Plan | None:
    """The plan a message button names, if it is this patient's; None answers the press."""
    query = update.callback_query
    assert query is not None and query.data is not None
    pressed = parse_plan_button(query.data)
    plan = None
    if pressed is not None:
        plan = await aftercare.pressed(
            context.session, plan_id=pressed.plan_id, patient_id=patient(context)
        )
    if plan is None:
        await steps.stale(update, context)
    return plan


async def declined(update: Update, context: ClinicContext) -> None:
    context.flow.reset()
    text = f"{context.text('aftercare.declined')}\n\n{context.text('menu.prompt')}"
    await show(update, context, text, menu_keyboard(context))


async def ended(update: Update, context: ClinicContext) -> None:
    notice = context.text("aftercare.already_ended")
    await answer_button(update, context, notice)
    await send(update, context, notice, back_to_menu(context))
