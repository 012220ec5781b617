"""Treatment booking end to end: staff record a consultation's outcome, the patient
books the planned treatment, staff confirm, the preparation messages arrive at 10:00
local time across the end of daylight saving time, and the treatment day brings the
aftercare offer (or the plan agreed to when booking); cancelling leaves nothing pending."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.playground.botapi import ChatMessage, StandIn, User
from clinic.content import load_content
from db.models import AftercarePlan, Appointment, ConsultationOutcome, OutboxMessage
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import STAFF, act, book, texts, wait_for_text

TORONTO = ZoneInfo("America/Toronto")
FRENCH = load_content().speaking("fr").texts
# Sunday 25 October 2026, 8:00 a.m. in Toronto (EDT); clocks go back on 1 November.
SUNDAY_8AM = datetime(2026, 10, 25, 12, tzinfo=UTC)
# The treatment: Tuesday 10 November 2026 at 10:00 a.m. (EST, UTC-5).
TREATMENT = datetime(2026, 11, 10, 15, tzinfo=UTC)
# Its preparation messages, at 10:00 a.m. local: 14:00 UTC before the change, 15:00 after.
TWO_WEEKS = datetime(2026, 10, 27, 14, tzinfo=UTC)
ONE_WEEK = datetime(2026, 11, 3, 15, tzinfo=UTC)
DAY_BEFORE = datetime(2026, 11, 9, 15, tzinfo=UTC)


async def press(standin: StandIn, user: User, label: str) -> None:
    await act(standin, await standin.press(user, label))


async def staff_press(standin: StandIn, maria: User, label: str, card_index: int) -> None:
    card = standin.bot_messages(STAFF)[card_index]
    await act(standin, await standin.press(maria, label, message=card))


async def came_to_the_treatment(standin: StandIn, maria: User) -> ChatMessage:
    """Staff open the treatment's card from /today (the one posted at booking shows what
    was possible then) and mark the patient as came."""
    await act(standin, await standin.send_group_text(maria, STAFF, "/today"))
    agenda = standin.bot_messages(STAFF)[-1]
    [session] = [label for label in agenda.buttons() if label.startswith("10:00")]
    await act(standin, await standin.press(maria, session, message=agenda))
    card = standin.bot_messages(STAFF)[-1]
    assert card.buttons() == ["✔️ Came", "🚫 No-show"]
    await act(standin, await standin.press(maria, "✔️ Came", message=card))
    return card


async def settle() -> None:
    await asyncio.sleep(0.3)


async def consultation_with_a_plan(
    standin: StandIn, clock: FakeClock, patient: User, maria: User, words: object = None
) -> None:
    """A consultation on Mon 26 Oct at 10:00, confirmed; at 10:30 staff record a CO2
    treatment of one session on its card."""
    if words is None:
        await book(standin, patient, "Mon 26 Oct", "10:00\u202fa.m.")
    else:
        await book(standin, patient, "lun. 26 oct.", "10 h 00", words=FRENCH)
    await standin.wait_for(lambda: bool(standin.bot_messages(STAFF)), what="the staff card")
    await staff_press(standin, maria, "✅ Confirm", 0)
    clock.now = datetime(2026, 10, 26, 14, 30, tzinfo=UTC)  # 10:30 a.m., under way
    await staff_press(standin, maria, "📋 Outcome", 0)
    assert standin.bot_messages(STAFF)[0].buttons() == [
        "🩹 Treatment planned",
        "🚫 Not suitable",
        "🤔 Patient to decide",
        "« Back",
    ]
    await staff_press(standin, maria, "🩹 Treatment planned", 0)
    await staff_press(standin, maria, "CO2 laser", 0)
    assert standin.bot_messages(STAFF)[0].buttons() == ["1", "2", "3", "« Back"]
    await staff_press(standin, maria, "1", 0)
    card = standin.bot_messages(STAFF)[0].text or ""
    assert "Outcome: treatment planned, CO2 laser, 1 session(s); recorded by Maria Lopez." in card
    assert "The patient came" in card


async def book_the_treatment(
    standin: StandIn, patient: User, *, agree: bool = False, french: bool = False
) -> None:
    """From the offer: the week of 9 Nov, Tue 10 Nov at 10:00, the name and number kept."""
    offer = "Réserver mon traitement" if french else "Book my treatment"
    await wait_for_text(standin, patient.id, "plan de traitement" if french else "treatment plan")
    await press(standin, patient, f"📅 {offer}")
    later = "Plus tard\u00a0»" if french else "Later »"
    await press(standin, patient, later)
    await press(standin, patient, later)
    await press(standin, patient, "mar. 10 nov." if french else "Tue 10 Nov")
    await press(standin, patient, "10 h 00" if french else "10:00\u202fa.m.")
    words = FRENCH if french else load_content().fallback.texts
    await press(standin, patient, words("booking.name_ok"))
    await act(standin, await standin.press_reply(patient, words("booking.share_phone")))
    if agree:
        await press(standin, patient, words("treatment.aftercare_off"))
    await press(standin, patient, words("booking.confirm"))


async def rows_of(running: RunningBot, appointment_id: int) -> list[OutboxMessage]:
    async with running.database.transaction() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.appointment_id == appointment_id)
                .order_by(OutboxMessage.due_at, OutboxMessage.id)
            )
        )


async def the_treatment(running: RunningBot) -> Appointment:
    async with running.database.transaction() as session:
        return (
            await session.scalars(select(Appointment).where(Appointment.kind == "treatment"))
        ).one()


async def test_a_planned_treatment_is_booked_prepared_across_dst_and_offers_aftercare(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await consultation_with_a_plan(standin, clock, ana, maria)
    await wait_for_text(standin, ana.id, "Your treatment plan")
    offer = next(text for text in texts(standin, ana.id) if "Your treatment plan" in text)
    assert "a CO2 laser treatment: 1 session(s) of about 90 min" in offer
    assert "Each session: $600 to $1,600" in offer

    await press(standin, ana, "📅 Book my treatment")
    assert "Book your treatment session (90 min)" in (standin.screen(ana.id).text or "")
    await press(standin, ana, "Later »")
    await press(standin, ana, "Later »")
    await press(standin, ana, "Tue 10 Nov")
    # 90-minute sessions from the opening at 10:00.
    assert standin.screen(ana.id).buttons()[:3] == [
        "10:00\u202fa.m.",
        "11:30\u202fa.m.",
        "1:00\u202fp.m.",
    ]
    await press(standin, ana, "10:00\u202fa.m.")
    await press(standin, ana, "✅ That's me")
    await act(standin, await standin.press_reply(ana, "📱 Share my number"))
    summary = standin.screen(ana.id).text or ""
    assert (
        "CO2 laser treatment" in summary
        and "Tue 10 Nov 2026 at 10:00\u202fa.m. (90 min)" in summary
    )
    assert "$600 to $1,600" in summary
    await press(standin, ana, "✅ Confirm booking")
    assert "confirm your treatment session on Tue 10 Nov" in texts(standin, ana.id)[-1]

    await wait_for_text(standin, STAFF, "Treatment request")
    card_index = len(standin.bot_messages(STAFF)) - 1
    card = standin.bot_messages(STAFF)[card_index].text or ""
    assert "CO2 laser treatment session" in card
    await staff_press(standin, maria, "✅ Confirm", card_index)
    await wait_for_text(standin, ana.id, "Your treatment session is confirmed")

    treatment = await the_treatment(running)
    assert (treatment.laser, treatment.status, treatment.ends_at - treatment.starts_at) == (
        "co2",
        "confirmed",
        timedelta(minutes=90),
    )
    preparation = [
        (row.payload["stage"], row.due_at)
        for row in await rows_of(running, treatment.id)
        if row.kind == "preparation"
    ]
    assert preparation == [
        ("two_weeks", TWO_WEEKS),
        ("one_week", ONE_WEEK),
        ("day_before", DAY_BEFORE),
    ]
    assert {due.astimezone(TORONTO).hour for _, due in preparation} == {10}

    for due, heading in (
        (TWO_WEEKS, "Your CO2 laser treatment is in two weeks"),
        (ONE_WEEK, "Your CO2 laser treatment is in one week"),
        (DAY_BEFORE, "Your CO2 laser treatment is tomorrow"),
    ):
        clock.now = due - timedelta(minutes=1)
        await settle()
        assert not any(heading in text for text in texts(standin, ana.id)), heading
        clock.now = due
        await wait_for_text(standin, ana.id, heading)
    two_weeks = next(t for t in texts(standin, ana.id) if "in two weeks" in t)
    assert "sunscreen" in two_weeks and "No tanning" in two_weeks and "stop now" in two_weeks
    one_week = next(t for t in texts(standin, ana.id) if "in one week" in t)
    assert "Stop retinoids" in one_week
    day_before = next(t for t in texts(standin, ana.id) if "laser treatment is tomorrow" in t)
    assert "clean skin" in day_before and "drive you home" in day_before
    assert "antiviral" in day_before

    # The treatment day: staff mark the session as came, the aftercare plan is offered.
    clock.now = TREATMENT + timedelta(minutes=95)
    card = await came_to_the_treatment(standin, maria)
    assert "The patient came" in (card.text or "") and card.buttons() == []
    await wait_for_text(standin, ana.id, "The clinic has recorded your CO2 laser treatment")
    async with running.database.transaction() as session:
        [plan] = await session.scalars(select(AftercarePlan))
        outcome = (await session.scalars(select(ConsultationOutcome))).one()
    assert (plan.status, plan.laser, plan.appointment_id) == ("invited", "co2", treatment.id)
    assert (outcome.outcome, outcome.laser, outcome.sessions) == ("planned", "co2", 1)
    await stop()


async def test_agreeing_when_booking_starts_the_aftercare_plan_on_the_day(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(
        standin, database_url, clock=clock, staff_chat_id=STAFF, booking_confirmation="instant"
    )
    await book(standin, ana, "Mon 26 Oct", "10:00\u202fa.m.")
    await standin.wait_for(lambda: bool(standin.bot_messages(STAFF)), what="the staff card")
    clock.now = datetime(2026, 10, 26, 14, 30, tzinfo=UTC)
    await staff_press(standin, maria, "📋 Outcome", 0)
    await staff_press(standin, maria, "🩹 Treatment planned", 0)
    await staff_press(standin, maria, "Erbium laser", 0)
    await staff_press(standin, maria, "2", 0)
    await book_the_treatment(standin, ana, agree=True)
    await wait_for_text(standin, ana.id, "Your treatment session is confirmed")
    treatment = await the_treatment(running)
    assert treatment.aftercare_agreed and treatment.laser == "erbium"

    clock.now = TREATMENT + timedelta(minutes=95)
    await wait_for_text(standin, STAFF, "Treatment booked")
    card_index = len(standin.bot_messages(STAFF)) - 1
    assert "Aftercare: starts on the day" in (standin.bot_messages(STAFF)[card_index].text or "")
    await came_to_the_treatment(standin, maria)
    await wait_for_text(standin, ana.id, "have started, as you asked")
    started = texts(standin, ana.id)[-1]
    assert "First message: Wed 11 Nov 2026 at 9:00\u202fa.m." in started
    async with running.database.transaction() as session:
        [plan] = await session.scalars(select(AftercarePlan))
    assert (plan.status, plan.laser, plan.appointment_id) == ("active", "erbium", treatment.id)
    await stop()


async def test_a_cancelled_treatment_leaves_no_pending_message_in_french(
    standin: StandIn, database_url: str, maria: User
) -> None:
    claire = User(id=5551010, first_name="Claire", last_name="Tremblay", language_code="fr-CA")
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await consultation_with_a_plan(standin, clock, claire, maria, words=FRENCH)
    await wait_for_text(standin, claire.id, "Votre plan de traitement")
    offer = next(t for t in texts(standin, claire.id) if "Votre plan de traitement" in t)
    assert "traitement au laser CO2\u00a0: 1 séance(s) d'environ 90 min" in offer
    assert "de 600\u00a0$ à 1\u00a0600\u00a0$" in offer
    await book_the_treatment(standin, claire, french=True)
    assert "votre séance de traitement du mar. 10 nov." in texts(standin, claire.id)[-1]
    await wait_for_text(standin, STAFF, "Treatment request")
    await staff_press(standin, maria, "✅ Confirm", len(standin.bot_messages(STAFF)) - 1)
    await wait_for_text(standin, claire.id, "Votre séance de traitement est confirmée")
    clock.now = TWO_WEEKS
    await wait_for_text(standin, claire.id, "Votre traitement au laser CO2 est dans deux semaines")
    two_weeks = next(t for t in texts(standin, claire.id) if "dans deux semaines" in t)
    assert "le mar. 10 nov. 2026 à 10 h 00" in two_weeks and "écran solaire" in two_weeks

    treatment = await the_treatment(running)
    await act(standin, await standin.send_text(claire, "/appointments"))
    cancel = next(b for b in standin.screen(claire.id).buttons() if "10 nov." in b and "✖️" in b)
    await press(standin, claire, cancel)
    await press(standin, claire, FRENCH("appointments.no_reason"))
    rows = await rows_of(running, treatment.id)
    # Nothing left for the patient; the staff group is told of the cancellation.
    assert [row.kind for row in rows if row.status == "pending" and row.chat_id == claire.id] == []
    assert sorted(row.payload["stage"] for row in rows if row.kind == "preparation") == [
        "day_before",
        "one_week",
        "two_weeks",
    ]
    assert {row.status for row in rows if row.kind in ("preparation", "reminder")} == {
        "sent",
        "cancelled",
    }
    clock.now = TREATMENT
    await settle()
    assert not any("dans une semaine" in t or "est demain" in t for t in texts(standin, claire.id))
    await stop()


async def test_blocking_pauses_the_preparation_and_coming_back_offers_it_again(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    """A blocked chat gets nothing, so the preparation stops with the reminders; on
    coming back the bot names the treatment among what was paused, and Yes queues its
    reminders and preparation messages again, once."""
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await consultation_with_a_plan(standin, clock, ana, maria)
    await book_the_treatment(standin, ana)
    await wait_for_text(standin, STAFF, "Treatment request")
    await staff_press(standin, maria, "✅ Confirm", len(standin.bot_messages(STAFF)) - 1)
    treatment = await the_treatment(running)

    def pending(rows: list[OutboxMessage]) -> list[tuple[str, datetime]]:
        """The reminders and preparation messages still to go, in order."""
        later = ("reminder", "preparation")
        return [(r.kind, r.due_at) for r in rows if r.status == "pending" and r.kind in later]

    before = pending(await rows_of(running, treatment.id))
    assert [kind for kind, _ in before].count("preparation") == 3
    await act(standin, await standin.block(ana))
    assert pending(await rows_of(running, treatment.id)) == []

    await act(standin, await standin.block(ana, blocked=False))
    offer = standin.screen(ana.id).text or ""
    assert "preparation advice for your treatment on Tue 10 Nov 2026 at 10:00\u202fa.m." in offer
    offered = standin.screen(ana.id)
    await press(standin, ana, "✅ Yes, turn them back on")
    await act(standin, await standin.press_data(ana, offered, "back:yes"))  # a double tap
    assert pending(await rows_of(running, treatment.id)) == before
    await stop()
