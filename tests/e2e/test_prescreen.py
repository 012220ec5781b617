"""The candidacy pre-screen end to end: consent, questions, resume, result, staff card."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.playground.botapi import StandIn, User
from clinic.content import load_content
from db.models import Patient, Prescreen, PrescreenAnswer
from tests.conftest import FakeClock, start_bot
from tests.e2e.test_booking import MONDAY_10AM, STAFF, act, texts, wait_for_text

QUESTIONS = load_content().fallback.questionnaire.questions
TOTAL = len(QUESTIONS)


def screen_text(standin: StandIn, user: User) -> str:
    return standin.screen(user.id).text or ""


async def counts(running: object) -> tuple[int, int]:
    database = running.database  # type: ignore[attr-defined]
    async with database.transaction() as session:
        runs = await session.scalar(select(func.count()).select_from(Prescreen))
        answers = await session.scalar(select(func.count()).select_from(PrescreenAnswer))
    return int(runs or 0), int(answers or 0)


async def test_declining_consent_stores_nothing(
    standin: StandIn, database_url: str, ana: User
) -> None:
    running, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await act(standin, await standin.send_text(ana, "/start"))
    await act(standin, await standin.press(ana, "✅ Am I a good candidate?"))
    consent = screen_text(standin, ana)
    assert "What we keep" in consent and "Only the clinic's staff" in consent
    assert "not a diagnosis" in consent
    await act(standin, await standin.press(ana, "No, thanks"))
    assert "nothing was saved" in screen_text(standin, ana)
    assert "How can I help you today?" in screen_text(standin, ana)
    assert await counts(running) == (0, 0)
    async with running.database.transaction() as session:
        assert (await session.scalars(select(Patient.consented_at))).one() is None
    await stop()


async def test_the_whole_questionnaire_with_back_a_restart_and_the_result_on_the_staff_card(
    standin: StandIn, database_url: str, ana: User
) -> None:
    clock = FakeClock(MONDAY_10AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await act(standin, await standin.send_text(ana, "/prescreen"))
    await act(standin, await standin.press(ana, "✅ I agree, let's start"))
    assert f"Question 1 of {TOTAL}" in screen_text(standin, ana)

    # Yes to cold sores (a flag), no to every other yes/no question; then skin answers.
    def choice(index: int) -> str:
        question = QUESTIONS[index]
        if question.key == "cold_sores":
            return "Yes"
        return "No" if question.answers == ("Yes", "No") else question.answers[2]

    half = TOTAL // 2
    for index in range(half):
        await act(standin, await standin.press(ana, choice(index)))
    first_question_screen = standin.screen(ana.id)
    assert f"Question {half + 1} of {TOTAL}" in screen_text(standin, ana)

    # Typed text re-asks the same question; Back changes the previous answer.
    await act(standin, await standin.send_text(ana, "I'm not sure"))
    assert f"Question {half + 1} of {TOTAL}" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "« Back"))
    assert f"Question {half} of {TOTAL}" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, choice(half - 1)))

    # The bot restarts mid-questionnaire; the patient carries on at the same question.
    await stop()
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    assert f"Question {half + 1} of {TOTAL}" in screen_text(standin, ana)
    _, answered = await counts(running)
    assert answered == half
    # A button from an earlier question changes nothing and shows the current one.
    old = first_question_screen.raw["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    stale_run = old.removeprefix("ps:a:").split(":")[0]
    await act(
        standin, await standin.press_data(ana, standin.screen(ana.id), f"ps:a:{stale_run}:0:0")
    )
    assert "That question has changed" in texts(standin, ana.id)[-2]
    assert f"Question {half + 1} of {TOTAL}" in screen_text(standin, ana)
    assert (await counts(running))[1] == half

    # Stop for now, come back through the menu, resume where we were.
    await act(standin, await standin.press(ana, "⏸ Stop for now"))
    await act(standin, await standin.press(ana, "✅ Am I a good candidate?"))
    assert f"You stopped at question {half + 1} of {TOTAL}" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "▶️ Continue"))
    for index in range(half, TOTAL):
        await act(standin, await standin.press(ana, choice(index)))

    result = screen_text(standin, ana)
    assert "Laser resurfacing may suit you" in result
    assert "Cold sores in the past" in result
    assert "skin type, by the questionnaire: III (score 20 of 40)" in result
    assert "estimate" in result and "not a diagnosis" in result
    assert standin.screen(ana.id).buttons()[0] == "📅 Book a free consultation"
    async with running.database.transaction() as session:
        run = (await session.scalars(select(Prescreen))).one()
        assert (run.outcome, run.skin_type, run.fitzpatrick_total) == ("discuss", "III", 20)
        assert run.version == load_content().fallback.questionnaire.version
        assert run.completed_at == MONDAY_10AM
    assert (await counts(running))[1] == TOTAL

    # Booking now skips the offer, and staff see the outcome and its flag, not the answers.
    await act(standin, await standin.press(ana, "📅 Book a free consultation"))
    await act(standin, await standin.press(ana, "Tue 24 Nov"))
    await act(standin, await standin.press(ana, "10:00\u202fa.m."))
    await act(standin, await standin.press(ana, "✅ That's me"))
    await act(standin, await standin.press_reply(ana, "📱 Share my number"))
    assert "Please check your booking" in screen_text(standin, ana)
    await act(standin, await standin.press(ana, "✅ Confirm booking"))
    await wait_for_text(standin, STAFF, "Consultation request")
    card = texts(standin, STAFF)[0]
    assert "Pre-screen: discuss: Cold sores in the past" in card
    assert "skin type III (self-estimate)" in card
    assert "Dark brown" not in card and "isotretinoin" not in card.lower()
    await stop()


async def test_a_not_now_answer_says_why_and_when_to_come_back(
    standin: StandIn, database_url: str, ana: User
) -> None:
    _, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await act(standin, await standin.send_text(ana, "/prescreen"))
    await act(standin, await standin.press(ana, "✅ I agree, let's start"))
    for question in QUESTIONS:
        label = "Yes" if question.key == "isotretinoin" else question.answers[-1]
        if question.answers == ("Yes", "No") and question.key != "isotretinoin":
            label = "No"
        await act(standin, await standin.press(ana, label))
    result = screen_text(standin, ana)
    assert "the clinic needs to see you before any laser treatment" in result
    assert "Isotretinoin in the last 12 months" in result
    assert "Come back 12 months after your last dose" in result
    assert standin.screen(ana.id).buttons()[0] == "📞 Contact the clinic"
    # Taking it again is possible; consent is not asked twice.
    await act(standin, await standin.press(ana, "🔁 Take it again"))
    assert f"Question 1 of {TOTAL}" in screen_text(standin, ana)
    await stop()


async def test_skin_type_v_vi_is_never_told_the_treatment_may_suit_them(
    standin: StandIn, database_url: str, ana: User
) -> None:
    """The clinic's page lists very dark skin among reasons to avoid resurfacing: the
    result says a clinician will discuss the higher risk of pigment change instead."""
    _, stop = await start_bot(standin, database_url, clock=FakeClock(MONDAY_10AM))
    await act(standin, await standin.send_text(ana, "/prescreen"))
    await act(standin, await standin.press(ana, "✅ I agree, let's start"))
    for question in QUESTIONS:
        label = "No" if question.answers == ("Yes", "No") else question.answers[-1]
        await act(standin, await standin.press(ana, label))
    result = screen_text(standin, ana)
    assert "may suit you" not in result
    assert "a clinician will discuss this higher risk with you" in result
    assert "higher risk of pigment change" in result
    assert "skin type, by the questionnaire: V–VI (score 40 of 40)" in result
    assert "not a diagnosis" in result
    assert standin.screen(ana.id).buttons()[0] == "📅 Book a free consultation"
    await stop()
