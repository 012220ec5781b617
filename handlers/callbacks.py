"""Callback data of the booking, appointment and staff buttons, built and read in one place.

Data carries short ids only; every handler checks them against the database, so a
forged button can do no more than a real one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from clinic.aftercare import Laser

BOOK_WEEK = "book:w:"  # + week offset
BOOK_DAY = "book:d:"  # + YYYY-MM-DD
BOOK_TIME = "book:t:"  # + YYYYMMDDHHMM in UTC
BOOK_NAME_OK = "book:name"
BOOK_NAME_CHANGE = "book:rename"
BOOK_BACK = "book:back"
BOOK_CONFIRM = "book:ok"
BOOK_SKIP = "book:skip"  # go on without the pre-screen
APPOINTMENTS = "appt:list"
RESCHEDULE = "appt:r:"  # + appointment id
CANCEL = "appt:c:"  # + appointment id
CANCEL_REASON = "appt:x:"  # + appointment id + ":" + reason number (0: none)
THERE = "appt:y:"  # + appointment id: "I'll be there"
STAFF = "staff:"  # every staff button's data starts so
STAFF_CONFIRM = "staff:ok:"  # + appointment id
STAFF_DECLINE = "staff:no:"  # + appointment id
STAFF_CARD = "staff:card:"  # + appointment id: the card as it is
STAFF_TREATMENT = "staff:tr:"  # + appointment id: record a treatment, which laser?
STAFF_TREATMENT_LASER = "staff:tl:"  # + appointment id + ":" + laser: on which day?
STAFF_TREATMENT_DAY = "staff:td:"  # + appointment id + ":" + laser + ":" + days ago
STAFF_OPEN = "staff:open:"  # + appointment id: the card as a new message (from a list)
STAFF_CAME = "staff:came:"  # + appointment id: the patient came (completed)
STAFF_NO_SHOW = "staff:ns:"  # + appointment id
STAFF_CANCEL = "staff:cx:"  # + appointment id: cancel, which reason?
STAFF_CANCEL_REASON = "staff:cr:"  # + appointment id + ":" + reason number (1..)
# A consultation's outcome, on its card.
STAFF_OUTCOME = "staff:oc:"  # + appointment id: which outcome?
STAFF_OUTCOME_SET = "staff:ox:"  # + appointment id + ":" + not_suitable|undecided: record it
STAFF_OUTCOME_PLAN = "staff:op:"  # + appointment id: treatment planned, which laser?
STAFF_OUTCOME_LASER = "staff:ol:"  # + appointment id + ":" + laser: how many sessions?
STAFF_OUTCOME_SESSIONS = "staff:os:"  # + appointment id + ":" + laser + ":" + sessions
STAFF_OUTCOME_NOTE = "staff:on:"  # + appointment id: ask for the note on the planned treatment
# The patient books the treatment a consultation planned.
TREAT_BOOK = "treat:b:"  # + consultation id
BOOK_AFTERCARE = "book:ac"  # a treatment's summary: aftercare from the day, on or off
STAFF_ON_IT = "staff:onit:"  # + patient id: "I'm on it" on a warning-sign alert
TRIAGE_SIGN = "tr:s:"  # + sign key: a sign tapped on the problem screen
FORGET_YES = "pv:forget"  # /forget confirmed
FORGET_NO = "pv:keep"
# A patient back after blocking the bot: turn the paused messages on again, or not.
WELCOME_RESUME = "back:yes"
WELCOME_KEEP_OFF = "back:no"
LANGUAGE = "lang:"  # + a content language folder ("en", "fr")
FAQ_TOPIC = "faq:"  # + topic key (the FAQ list itself is the menu's "faq")
# The pre-screen (candidacy questionnaire).
PS_AGREE = "ps:agree"  # consent given
PS_DECLINE = "ps:decline"
PS_CONTINUE = "ps:continue"  # resume the unfinished run
PS_RESTART = "ps:restart"
PS_PAUSE = "ps:pause"
PS_ANSWER = "ps:a:"  # + run id + ":" + question number + ":" + answer number
PS_BACK = "ps:b:"  # + run id + ":" + question number
# Aftercare set-up, in the flow (the flow state holds the choices so far).
AC_LASER = "ac:l:"  # + laser
AC_DAY = "ac:d:"  # + days ago (0 today, 1 yesterday)
AC_OTHER_DATE = "ac:date"
AC_BACK = "ac:back"
AC_YES = "ac:yes"
AC_NO = "ac:no"
AC_NOT_SURE = "ac:unsure"
AC_TIME = "ac:t:"  # + HHMM, local
AC_CHANGE_TIME = "ac:time"
AC_TODAY = "ac:today"
# On messages that outlive the flow: each names its plan, checked to be the patient's.
AC_INVITED = "ac:i:"  # + plan id: "Tell me more" on an invitation
AC_INVITE_NO = "ac:in:"  # + plan id
AC_FINE = "ac:ok:"  # + plan id
AC_WORRIED = "ac:w:"  # + plan id
AC_SIGN = "ac:s:"  # + plan id + ":" + sign key
AC_STOP = "ac:stop:"  # + plan id
# The long-term check-in and /followup: each acts on the pressing patient's own row.
FU_HOLDING = "fu:ok"
FU_CONSULT = "fu:book"  # straight into booking a consultation
FU_OFF = "fu:off"
FU_ON = "fu:on"

_UTC_MINUTE = "%Y%m%d%H%M"


def pattern(prefix: str, tail: str) -> str:
    return f"^{re.escape(prefix)}{tail}$"


def slot_data(start: datetime) -> str:
    return BOOK_TIME + start.astimezone(UTC).strftime(_UTC_MINUTE)


def parse_slot(data: str) -> datetime | None:
    try:
        return datetime.strptime(data.removeprefix(BOOK_TIME), _UTC_MINUTE).replace(tzinfo=UTC)
    except ValueError:
        return None


def slot_pattern() -> str:
    return pattern(BOOK_TIME, r"\d{12}")


def week_data(week: int) -> str:
    return f"{BOOK_WEEK}{week}"


def parse_week(data: str) -> int | None:
    tail = data.removeprefix(BOOK_WEEK)
    return int(tail) if tail.isascii() and tail.isdigit() else None


def week_pattern() -> str:
    return pattern(BOOK_WEEK, r"\d{1,2}")


def day_data(day: date) -> str:
    return BOOK_DAY + day.isoformat()


def parse_day(data: str) -> date | None:
    try:
        return date.fromisoformat(data.removeprefix(BOOK_DAY))
    except ValueError:
        return None


def day_pattern() -> str:
    return pattern(BOOK_DAY, r"[0-9-]{10}")


def exactly(data: str) -> str:
    """The pattern of a button whose data is `data` and nothing more."""
    return f"^{re.escape(data)}$"


def trailing_id(data: str) -> int:
    """The appointment id at the end of `prefix<id>` (patterns guarantee the digits)."""
    return int(data.rsplit(":", 1)[1])


# -- aftercare ------------------------------------------------------------------------------


def laser_data(laser: Laser) -> str:
    return AC_LASER + laser.value


def parse_laser(data: str) -> Laser | None:
    try:
        return Laser(data.removeprefix(AC_LASER))
    except ValueError:
        return None


def days_ago_data(days: int) -> str:
    return f"{AC_DAY}{days}"


def parse_days_ago(data: str) -> int | None:
    tail = data.removeprefix(AC_DAY)
    return int(tail) if tail.isdigit() else None


def time_data(at: time) -> str:
    return f"{AC_TIME}{at:%H%M}"


def parse_time(data: str) -> time | None:
    """The local time of day of a time button; None for a forged one (25:99)."""
    digits = data.removeprefix(AC_TIME)
    if len(digits) != 4 or not digits.isdigit():
        return None
    try:
        return time(int(digits[:2]), int(digits[2:]))
    except ValueError:
        return None


# The buttons that name their plan, on messages that outlive the flow.
_PLAN_BUTTONS = (AC_INVITED, AC_INVITE_NO, AC_FINE, AC_WORRIED, AC_SIGN, AC_STOP)


@dataclass(frozen=True)
class PlanButton:
    """What a plan's button says: which plan, and for a warning sign, which sign."""

    plan_id: int
    sign: str | None = None


def plan_data(prefix: str, plan_id: int, sign: str | None = None) -> str:
    assert prefix in _PLAN_BUTTONS
    return f"{prefix}{plan_id}" + (f":{sign}" if sign is not None else "")


def parse_plan_button(data: str) -> PlanButton | None:
    prefix = next((prefix for prefix in _PLAN_BUTTONS if data.startswith(prefix)), None)
    if prefix is None:
        return None
    plan_id, _, sign = data.removeprefix(prefix).partition(":")
    if not plan_id.isdigit() or (prefix == AC_SIGN) != bool(sign):
        return None
    return PlanButton(int(plan_id), sign or None)


# -- appointment and staff card buttons: prefix + appointment id [+ ":" + more] ------------


def appointment_data(prefix: str, appointment_id: int) -> str:
    """`prefix<id>`: RESCHEDULE, CANCEL, THERE and the STAFF_* card buttons."""
    return f"{prefix}{appointment_id}"


def parse_appointment(data: str, prefix: str) -> int:
    """The appointment id of `prefix<id>` (the handler's pattern guarantees the digits)."""
    return int(data.removeprefix(prefix))


def reason_data(prefix: str, appointment_id: int, number: int) -> str:
    """CANCEL_REASON or STAFF_CANCEL_REASON: the appointment and the reason's number."""
    return f"{prefix}{appointment_id}:{number}"


def parse_reason(data: str, prefix: str) -> tuple[int, int]:
    appointment_id, number = data.removeprefix(prefix).split(":")
    return int(appointment_id), int(number)


def treatment_laser_data(appointment_id: int, laser: Laser) -> str:
    """STAFF_TREATMENT_LASER: which laser was used; next, on which day."""
    return f"{STAFF_TREATMENT_LASER}{appointment_id}:{laser.value}"


def parse_treatment_laser(data: str) -> tuple[int, Laser]:
    appointment_id, laser = data.removeprefix(STAFF_TREATMENT_LASER).split(":")
    return int(appointment_id), Laser(laser)


def treatment_day_data(appointment_id: int, laser: Laser, days_ago: int) -> str:
    """STAFF_TREATMENT_DAY: the laser and the day (0 today, 1 yesterday): record it."""
    return f"{STAFF_TREATMENT_DAY}{appointment_id}:{laser.value}:{days_ago}"


def parse_treatment_day(data: str) -> tuple[int, Laser, int]:
    appointment_id, laser, days_ago = data.removeprefix(STAFF_TREATMENT_DAY).split(":")
    return int(appointment_id), Laser(laser), int(days_ago)


def staff_card_id(data: str) -> int:
    """The appointment id of any staff card button (`staff:<action>:<id>[:...]`)."""
    return int(data.removeprefix(STAFF).split(":")[1])


def triage_sign_data(key: str) -> str:
    return TRIAGE_SIGN + key


def parse_triage_sign(data: str) -> str:
    """The sign key of a tapped sign (its pattern guarantees the shape)."""
    return data.removeprefix(TRIAGE_SIGN)


def on_it_data(patient_id: int) -> str:
    return f"{STAFF_ON_IT}{patient_id}"


def parse_on_it(data: str) -> int:
    """The patient id of an "I'm on it" press (its pattern guarantees the digits)."""
    return int(data.removeprefix(STAFF_ON_IT))


@dataclass(frozen=True)
class QuestionButton:
    """A button on a pre-screen question: the run and question it was shown for, and
    the answer it gives (None for Back)."""

    run_id: int
    position: int
    choice: int | None = None


PS_ANSWER_PATTERN = pattern(PS_ANSWER, r"\d{1,18}:\d{1,3}:\d")
PS_BACK_PATTERN = pattern(PS_BACK, r"\d{1,18}:\d{1,3}")


def prescreen_answer_data(run_id: int, position: int, choice: int) -> str:
    return f"{PS_ANSWER}{run_id}:{position}:{choice}"


def prescreen_back_data(run_id: int, position: int) -> str:
    return f"{PS_BACK}{run_id}:{position}"


def parse_question_button(data: str) -> QuestionButton | None:
    """The run, question and answer a pre-screen button names; None if it names none."""
    for prefix, parts in ((PS_ANSWER, 3), (PS_BACK, 2)):
        if data.startswith(prefix):
            numbers = data.removeprefix(prefix).split(":")
            if len(numbers) != parts or not all(n.isdigit() for n in numbers):
                return None
            run_id, position, *choice = (int(n) for n in numbers)
            return QuestionButton(run_id, position, choice[0] if choice else None)
    return None


def faq_topic_data(key: str) -> str:
    return FAQ_TOPIC + key


def parse_faq_topic(data: str) -> str:
    """The topic key of an FAQ button (its pattern guarantees the shape)."""
    return data.removeprefix(FAQ_TOPIC)


# -- a consultation's outcome ---------------------------------------------------------------


def outcome_set_data(appointment_id: int, outcome: str) -> str:
    return f"{STAFF_OUTCOME_SET}{appointment_id}:{outcome}"


def parse_outcome_set(data: str) -> tuple[int, str]:
    appointment_id, outcome = data.removeprefix(STAFF_OUTCOME_SET).split(":")
    return int(appointment_id), outcome


def outcome_laser_data(appointment_id: int, laser: Laser) -> str:
    return f"{STAFF_OUTCOME_LASER}{appointment_id}:{laser.value}"


def parse_outcome_laser(data: str) -> tuple[int, Laser]:
    appointment_id, laser = data.removeprefix(STAFF_OUTCOME_LASER).split(":")
    return int(appointment_id), Laser(laser)


def outcome_sessions_data(appointment_id: int, laser: Laser, sessions: int) -> str:
    return f"{STAFF_OUTCOME_SESSIONS}{appointment_id}:{laser.value}:{sessions}"


def parse_outcome_sessions(data: str) -> tuple[int, Laser, int]:
    appointment_id, laser, sessions = data.removeprefix(STAFF_OUTCOME_SESSIONS).split(":")
    return int(appointment_id), Laser(laser), int(sessions)


# -- the waitlist -----------------------------------------------------------------------------

WL_JOIN = "wl:join"  # "Tell me if an earlier time frees up": until when?
WL_UNTIL = "wl:u:"  # + YYYY-MM-DD: the last day to hear of a time on
WL_LEAVE = "wl:leave"
WL_TAKE = "wl:t:"  # + offer id: "Book it" on an offer of a freed time
WL_UNTIL_PATTERN = pattern(WL_UNTIL, r"\d{4}-\d{2}-\d{2}")
WL_TAKE_PATTERN = pattern(WL_TAKE, r"\d{1,18}")


def until_data(day: date) -> str:
    return WL_UNTIL + day.isoformat()


def parse_until(data: str) -> date | None:
    try:
        return date.fromisoformat(data.removeprefix(WL_UNTIL))
    except ValueError:
        return None


def take_data(offer_id: int) -> str:
    return f"{WL_TAKE}{offer_id}"
