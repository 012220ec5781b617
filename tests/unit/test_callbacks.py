"""Button data of the aftercare flow: packed and read in handlers/callbacks.py."""

from __future__ import annotations

from datetime import time

import pytest

from clinic.aftercare import Laser
from handlers.callbacks import (
    AC_FINE,
    AC_SIGN,
    AC_STOP,
    PlanButton,
    days_ago_data,
    laser_data,
    parse_days_ago,
    parse_laser,
    parse_plan_button,
    parse_time,
    plan_data,
    time_data,
)


def test_aftercare_set_up_buttons_read_back_what_they_pack() -> None:
    assert parse_laser(laser_data(Laser.ERBIUM)) is Laser.ERBIUM
    assert parse_days_ago(days_ago_data(1)) == 1
    assert time_data(time(18, 30)) == "ac:t:1830"
    assert parse_time(time_data(time(18, 30))) == time(18, 30)


@pytest.mark.parametrize("data", ["ac:t:2599", "ac:t:12", "ac:t:ab12"])
def test_a_forged_time_reads_as_none(data: str) -> None:
    assert parse_time(data) is None


def test_plan_buttons_name_their_plan_and_sign() -> None:
    assert plan_data(AC_STOP, 7) == "ac:stop:7"
    assert parse_plan_button("ac:stop:7") == PlanButton(7)
    assert parse_plan_button(plan_data(AC_FINE, 12)) == PlanButton(12)
    assert parse_plan_button(plan_data(AC_SIGN, 12, "fever")) == PlanButton(12, "fever")
    assert parse_plan_button("ac:s:12") is None  # a sign button names its sign
    assert parse_plan_button("ac:ok:12:fever") is None
    assert parse_plan_button("ac:ok:x") is None
