"""Free consultation times: local wall-clock slots, DST days, notice, horizon, capacity."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from clinic.calendar_file import consultation_ics
from clinic.content import PACKAGED_CONTENT, load_content
from clinic.schedule import (
    Booked,
    Schedule,
    Unavailable,
    free_slots,
    nearest,
    reminder_expired,
    reminder_times,
    why_unavailable,
)
from clinic.when import Dates

TORONTO = ZoneInfo("America/Toronto")
EVERY_DAY_10_TO_12 = {day: ((time(10), time(12)),) for day in range(7)}


def schedule(**changes: object) -> Schedule:
    values: dict[str, object] = {"hours": EVERY_DAY_10_TO_12, "closed": frozenset()}
    values.update(changes)
    return Schedule(**values)  # type: ignore[arg-type]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TORONTO).astimezone(UTC)


def labels(slots: list[datetime]) -> list[str]:
    return [slot.astimezone(TORONTO).strftime("%m-%d %H:%M") for slot in slots]


def on(day: date, slots: list[datetime]) -> list[datetime]:
    return [slot for slot in slots if slot.astimezone(TORONTO).date() == day]


# A week before each change, so notice and horizon do not get in the way.
BEFORE_SPRING = datetime(2026, 3, 1, 12, tzinfo=UTC)
BEFORE_FALL = datetime(2026, 10, 25, 12, tzinfo=UTC)


def test_a_day_is_cut_into_consultations_that_fit_before_closing() -> None:
    day = date(2026, 3, 3)
    slots = on(day, free_slots(schedule(), [], BEFORE_SPRING, TORONTO))
    assert labels(slots) == ["03-03 10:00", "03-03 10:30", "03-03 11:00", "03-03 11:30"]


def test_spring_forward_day_keeps_local_times_with_the_new_offset() -> None:
    day = date(2026, 3, 8)  # clocks go from 2:00 to 3:00 a.m. in Toronto
    slots = on(day, free_slots(schedule(), [], BEFORE_SPRING, TORONTO))
    assert labels(slots) == ["03-08 10:00", "03-08 10:30", "03-08 11:00", "03-08 11:30"]
    assert slots[0] == datetime(2026, 3, 8, 14, tzinfo=UTC)  # EDT, UTC-4
    day_before = on(date(2026, 3, 7), free_slots(schedule(), [], BEFORE_SPRING, TORONTO))
    assert day_before[0] == datetime(2026, 3, 7, 15, tzinfo=UTC)  # EST, UTC-5


def test_fall_back_day_keeps_local_times_with_the_new_offset() -> None:
    day = date(2026, 11, 1)  # clocks go from 2:00 back to 1:00 a.m.
    slots = on(day, free_slots(schedule(), [], BEFORE_FALL, TORONTO))
    assert labels(slots) == ["11-01 10:00", "11-01 10:30", "11-01 11:00", "11-01 11:30"]
    assert slots[0] == datetime(2026, 11, 1, 15, tzinfo=UTC)  # EST, UTC-5
    day_before = on(date(2026, 10, 31), free_slots(schedule(), [], BEFORE_FALL, TORONTO))
    assert day_before[0] == datetime(2026, 10, 31, 14, tzinfo=UTC)  # EDT, UTC-4


def test_night_hours_skip_the_missing_hour_and_do_not_repeat_the_doubled_one() -> None:
    night = {day: ((time(1), time(4)),) for day in range(7)}
    spring = on(date(2026, 3, 8), free_slots(schedule(hours=night), [], BEFORE_SPRING, TORONTO))
    assert labels(spring) == ["03-08 01:00", "03-08 01:30", "03-08 03:00", "03-08 03:30"]
    fall = on(date(2026, 11, 1), free_slots(schedule(hours=night), [], BEFORE_FALL, TORONTO))
    assert labels(fall) == [
        "11-01 01:00",
        "11-01 01:30",
        "11-01 02:00",
        "11-01 02:30",
        "11-01 03:00",
        "11-01 03:30",
    ]
    assert len(set(fall)) == len(fall)


def test_closed_dates_and_closed_weekdays_have_no_slots() -> None:
    hours = dict(EVERY_DAY_10_TO_12)
    hours[6] = ()  # Sundays
    rules = schedule(hours=hours, closed=frozenset({date(2026, 3, 4)}))
    slots = free_slots(rules, [], BEFORE_SPRING, TORONTO)
    days = {slot.astimezone(TORONTO).date() for slot in slots}
    assert date(2026, 3, 4) not in days
    assert date(2026, 3, 8) not in days  # a Sunday
    assert date(2026, 3, 5) in days
    start = local(date(2026, 3, 4), 10)
    assert why_unavailable(rules, [], BEFORE_SPRING, TORONTO, start) is Unavailable.CLOSED


def test_minimum_notice_hides_times_too_soon() -> None:
    now = local(date(2026, 3, 3), 22)  # 10 p.m.; 12 h notice reaches 10 a.m. tomorrow
    slots = free_slots(schedule(), [], now, TORONTO)
    assert labels(slots)[0] == "03-04 10:00"
    now = local(date(2026, 3, 3), 22, 1)
    assert labels(free_slots(schedule(), [], now, TORONTO))[0] == "03-04 10:30"
    too_soon = local(date(2026, 3, 4), 10)
    assert why_unavailable(schedule(), [], now, TORONTO, too_soon) is Unavailable.TOO_SOON
    assert why_unavailable(schedule(), [], now, TORONTO, now - timedelta(hours=1)) is (
        Unavailable.PAST
    )


def test_horizon_ends_on_the_last_bookable_day() -> None:
    now = local(date(2026, 3, 3), 9)
    slots = free_slots(schedule(horizon_days=30), [], now, TORONTO)
    assert slots[-1].astimezone(TORONTO).date() == date(2026, 4, 2)
    beyond = local(date(2026, 4, 3), 10)
    assert why_unavailable(schedule(), [], now, TORONTO, beyond) is Unavailable.TOO_FAR


def test_a_booking_takes_its_slot_and_the_buffer_pushes_the_grid() -> None:
    day = date(2026, 3, 3)
    taken = Booked(local(day, 10, 30), local(day, 11))
    slots = on(day, free_slots(schedule(), [taken], BEFORE_SPRING, TORONTO))
    assert labels(slots) == ["03-03 10:00", "03-03 11:00", "03-03 11:30"]
    assert why_unavailable(schedule(), [taken], BEFORE_SPRING, TORONTO, local(day, 10, 30)) is (
        Unavailable.TAKEN
    )
    # With a 15 min buffer the grid is every 45 minutes, and a booking made off the
    # grid (before the clinic changed its hours, say) keeps 15 minutes clear around it.
    buffered = schedule(buffer=timedelta(minutes=15))
    assert labels(on(day, free_slots(buffered, [], BEFORE_SPRING, TORONTO))) == [
        "03-03 10:00",
        "03-03 10:45",
        "03-03 11:30",
    ]
    off_grid = Booked(local(day, 11), local(day, 11, 30))
    assert labels(on(day, free_slots(buffered, [off_grid], BEFORE_SPRING, TORONTO))) == [
        "03-03 10:00"
    ]


def test_capacity_allows_that_many_bookings_at_once() -> None:
    day = date(2026, 3, 3)
    one = Booked(local(day, 10), local(day, 10, 30))
    two_rooms = schedule(capacity=2)
    assert local(day, 10) in free_slots(two_rooms, [one], BEFORE_SPRING, TORONTO)
    assert local(day, 10) not in free_slots(two_rooms, [one, one], BEFORE_SPRING, TORONTO)
    assert why_unavailable(two_rooms, [one], BEFORE_SPRING, TORONTO, local(day, 10)) is None


def test_a_count_stands_for_that_many_bookings_of_one_time() -> None:
    day = date(2026, 3, 3)
    one = Booked(local(day, 10), local(day, 10, 30))
    two = Booked(local(day, 10), local(day, 10, 30), count=2)
    two_rooms = schedule(capacity=2)
    assert local(day, 10) not in free_slots(two_rooms, [two], BEFORE_SPRING, TORONTO)
    assert free_slots(two_rooms, [two], BEFORE_SPRING, TORONTO) == free_slots(
        two_rooms, [one, one], BEFORE_SPRING, TORONTO
    )
    assert why_unavailable(two_rooms, [two], BEFORE_SPRING, TORONTO, local(day, 10)) is (
        Unavailable.TAKEN
    )
    three_rooms = schedule(capacity=3)
    assert why_unavailable(three_rooms, [two], BEFORE_SPRING, TORONTO, local(day, 10)) is None


def grouped(booked: list[Booked]) -> list[Booked]:
    """What the database returns: one entry per (start, end) with how many hold it."""
    counts = Counter((b.starts_at, b.ends_at) for b in booked)
    return [Booked(start, end, count) for (start, end), count in counts.items()]


def test_counts_per_time_give_the_same_free_times_as_single_bookings() -> None:
    """Buffer, lengths that changed, off-grid bookings, capacity and both DST days: the
    totals per (start, end) decide exactly what the single bookings did."""
    draw = random.Random(15)
    for now, days in (
        (BEFORE_SPRING, [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]),
        (BEFORE_FALL, [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)]),
    ):
        night_and_day = {
            weekday: ((time(1), time(4)), (time(10), time(12))) for weekday in range(7)
        }
        for rules in (
            schedule(hours=night_and_day, capacity=2),
            schedule(hours=night_and_day, capacity=3, buffer=timedelta(minutes=15)),
        ):
            booked = []
            for _ in range(60):
                day = draw.choice(days)
                start = local(day, draw.choice([1, 3, 10, 11]), draw.choice([0, 15, 30, 45]))
                length = timedelta(minutes=draw.choice([30, 30, 45, 60]))
                booked += [Booked(start, start + length)] * draw.randint(1, 3)
            single = free_slots(rules, booked, now, TORONTO)
            assert free_slots(rules, grouped(booked), now, TORONTO) == single
            assert len(single) < len(free_slots(rules, [], now, TORONTO))
            for day in days:
                for hour, minute in ((1, 0), (1, 30), (3, 0), (10, 0), (10, 45), (11, 30)):
                    start = local(day, hour, minute)
                    assert why_unavailable(
                        rules, grouped(booked), now, TORONTO, start
                    ) is why_unavailable(rules, booked, now, TORONTO, start)


def test_nearest_free_times_surround_the_one_wanted() -> None:
    day = date(2026, 3, 3)
    slots = free_slots(schedule(), [], BEFORE_SPRING, TORONTO)
    wanted = local(day, 11)
    assert labels(nearest(slots, wanted, 3)) == ["03-03 10:30", "03-03 11:00", "03-03 11:30"]


def test_labels_are_local_and_canadian_in_english_and_in_french() -> None:
    instant = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)
    english = Dates(TORONTO, "en_CA")
    # CLDR keeps "p.m." on the time's line with a narrow no-break space.
    assert english.time(instant) == "3:30\u202fp.m."
    assert english.when(instant) == "Tue 24 Nov 2026 at 3:30\u202fp.m."
    assert english.time(datetime(2026, 11, 24, 17, tzinfo=UTC)) == "12:00\u202fp.m."
    french = Dates(TORONTO, "fr_CA", when_phrase="{day} {year} à {time}")
    assert french.time(instant) == "15 h 30"
    assert french.when(instant) == "mar. 24 nov. 2026 à 15 h 30"
    assert french.day(date(2026, 11, 30)) == "lun. 30 nov."
    assert french.time(datetime(2026, 11, 24, 15, tzinfo=UTC)) == "10 h 00"


def test_the_shipped_schedule_opens_on_weekdays_and_closes_on_christmas() -> None:
    rules = load_content(PACKAGED_CONTENT).schedule
    assert rules.length == timedelta(minutes=30)
    assert rules.notice == timedelta(hours=12)
    assert rules.horizon_days == 30
    assert (rules.capacity, rules.per_patient) == (1, 1)
    christmas = free_slots(
        rules,
        [],
        datetime(2026, 12, 20, tzinfo=UTC),
        TORONTO,
        first_day=date(2026, 12, 25),
        last_day=date(2026, 12, 25),
    )
    assert christmas == []


def test_reminders_a_day_and_two_hours_before_skip_those_already_past() -> None:
    starts = datetime(2026, 11, 25, 15, tzinfo=UTC)
    both = reminder_times(starts, datetime(2026, 11, 23, tzinfo=UTC))
    assert both == [
        (24, datetime(2026, 11, 24, 15, tzinfo=UTC)),
        (2, datetime(2026, 11, 25, 13, tzinfo=UTC)),
    ]
    assert reminder_times(starts, datetime(2026, 11, 25, 1, tzinfo=UTC)) == [
        (2, datetime(2026, 11, 25, 13, tzinfo=UTC))
    ]
    assert reminder_times(starts, datetime(2026, 11, 25, 14, tzinfo=UTC)) == []


def test_a_reminder_expires_a_quarter_of_its_lead_late_and_at_the_start() -> None:
    starts = datetime(2026, 11, 25, 15, tzinfo=UTC)
    day_due, two_due = starts - timedelta(hours=24), starts - timedelta(hours=2)
    assert not reminder_expired(starts, 24, day_due)
    assert not reminder_expired(starts, 24, day_due + timedelta(hours=6))
    assert reminder_expired(starts, 24, day_due + timedelta(hours=6, seconds=1))
    assert not reminder_expired(starts, 2, two_due + timedelta(minutes=30))
    assert reminder_expired(starts, 2, two_due + timedelta(minutes=31))
    assert reminder_expired(starts, 2, starts)
    assert reminder_expired(starts, 2, starts + timedelta(hours=3))


def test_the_calendar_file_holds_the_instant_in_utc() -> None:
    starts = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    data = consultation_ics(
        uid="appointment-7@clinic",
        starts_at=starts.astimezone(TORONTO),
        ends_at=starts + timedelta(minutes=30),
        summary="Free consultation",
        description="Bring your questions.",
        location="",
        now=datetime(2026, 11, 23, tzinfo=UTC),
    )
    event = next(iter(Calendar.from_ical(data).walk("VEVENT")))
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtstart").tzinfo is not None
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=30)
    assert str(event["summary"]) == "Free consultation"
