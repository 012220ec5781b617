"""The clinician's note on a planned treatment: from the consultation's card, staff ask
to add one, the bot asks for it with a ForceReply aimed at them, and their reply in the
group becomes the note the card shows and the patient reads a week before the treatment.
Whoever is not staff, a sticker, and a note too long are answered and change nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.playground.botapi import ChatMessage, StandIn, User
from clinic.treatment import NOTE_LENGTH
from db.models import Audit, ConsultationOutcome
from tests.conftest import FakeClock, RunningBot, start_bot
from tests.e2e.test_booking import STAFF, act, texts, wait_for_text
from tests.e2e.test_treatment import (
    FRENCH,
    ONE_WEEK,
    SUNDAY_8AM,
    book_the_treatment,
    consultation_with_a_plan,
    staff_press,
)

STICKER = {
    "sticker": {
        "file_id": "sticker-file",
        "file_unique_id": "st1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
}


async def ask_for_a_note(
    standin: StandIn, maria: User, label: str = "📝 Add a note"
) -> ChatMessage:
    """Maria presses the card's note button: the bot asks, in a new message she replies to."""
    assert label in standin.bot_messages(STAFF)[0].buttons()
    await staff_press(standin, maria, label, 0)
    prompt = standin.bot_messages(STAFF)[-1]
    assert prompt.force_reply is not None
    assert prompt.force_reply["force_reply"] is True and prompt.force_reply["selective"] is True
    # Selective: it names the staff member who asked (a mention), so her app opens the reply.
    assert "Maria" in (prompt.html or "") and f"tg://user?id={maria.id}" in (prompt.html or "")
    return prompt


async def reply(standin: StandIn, user: User, prompt: ChatMessage, text: str) -> str:
    """`user` replies to the prompt in the group; the bot's answer."""
    before = len(standin.bot_messages(STAFF))
    await act(standin, await standin.send_group_text(user, STAFF, text, reply_to=prompt))
    answers = standin.bot_messages(STAFF)[before:]
    assert answers, "the bot did not answer the reply"
    return answers[-1].text or ""


async def note_in_database(running: RunningBot) -> str | None:
    async with running.database.transaction() as session:
        return (await session.scalars(select(ConsultationOutcome))).one().note


async def test_staff_add_a_note_by_replying_the_card_and_the_preparation_show_it(
    standin: StandIn, database_url: str, ana: User, maria: User
) -> None:
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await consultation_with_a_plan(standin, clock, ana, maria)
    prompt = await ask_for_a_note(standin, maria)
    assert "reply to this message with the note" in (prompt.text or "")

    # A member of the group who is not staff: refused, nothing stored.
    tom = User(7777, "Tom")
    assert await reply(standin, tom, prompt, "Anything") == "Only clinic staff can do this."
    # A sticker, or a note longer than a note can be: told what is wanted, nothing stored.
    before = len(standin.bot_messages(STAFF))
    await act(standin, await standin.send_group(maria, STAFF, STICKER, reply_to=prompt))
    assert "note as text" in (standin.bot_messages(STAFF)[before].text or "")
    too_long = await reply(standin, maria, prompt, "x" * (NOTE_LENGTH + 1))
    assert f"at most {NOTE_LENGTH} characters" in too_long
    assert await note_in_database(running) is None

    answer = await reply(standin, maria, prompt, "  Stop hydroquinone & retinol 7 days before.  ")
    assert answer == "📝 Note saved; the patient reads it a week before the treatment."
    card = standin.bot_messages(STAFF)[0]
    assert "📝 Note for the patient: Stop hydroquinone & retinol 7 days before." in (
        card.text or ""
    )
    assert "📝 Change the note" in card.buttons()
    assert await note_in_database(running) == "Stop hydroquinone & retinol 7 days before."

    # A later note replaces the earlier one; each is audited.
    prompt = await ask_for_a_note(standin, maria, "📝 Change the note")
    await reply(standin, maria, prompt, "Stop retinol creams 7 days before.")
    card_text = standin.bot_messages(STAFF)[0].text or ""
    assert "Note for the patient: Stop retinol creams 7 days before." in card_text
    assert "hydroquinone" not in card_text
    async with running.database.transaction() as session:
        audited = list(
            await session.scalars(select(Audit).where(Audit.action == "appointment.note"))
        )
    assert [(row.user_id, row.user_name) for row in audited] == [(maria.id, "Maria Lopez")] * 2

    # The patient books the treatment; a week before, the preparation carries the note.
    await book_the_treatment(standin, ana)
    await wait_for_text(standin, STAFF, "Treatment request")
    await staff_press(standin, maria, "✅ Confirm", len(standin.bot_messages(STAFF)) - 1)
    await wait_for_text(standin, ana.id, "Your treatment session is confirmed")
    clock.now = ONE_WEEK
    await wait_for_text(standin, ana.id, "Your CO2 laser treatment is in one week")
    one_week = next(t for t in texts(standin, ana.id) if "in one week" in t)
    assert "📝 From your clinician: Stop retinol creams 7 days before." in one_week
    await stop()


async def test_a_french_speaking_patient_reads_the_note_in_their_preparation(
    standin: StandIn, database_url: str, maria: User
) -> None:
    """Staff read their texts in English (STAFF_LANGUAGE); the patient, in French."""
    claire = User(id=5551010, first_name="Claire", last_name="Tremblay", language_code="fr-CA")
    clock = FakeClock(SUNDAY_8AM)
    running, stop = await start_bot(standin, database_url, clock=clock, staff_chat_id=STAFF)
    await consultation_with_a_plan(standin, clock, claire, maria, words=FRENCH)
    prompt = await ask_for_a_note(standin, maria)
    await reply(standin, maria, prompt, "Cessez le rétinol 7 jours avant.")
    await book_the_treatment(standin, claire, french=True)
    await wait_for_text(standin, STAFF, "Treatment request")
    await staff_press(standin, maria, "✅ Confirm", len(standin.bot_messages(STAFF)) - 1)
    await wait_for_text(standin, claire.id, "Votre séance de traitement est confirmée")
    clock.now = ONE_WEEK
    await wait_for_text(standin, claire.id, "dans une semaine")
    one_week = next(t for t in texts(standin, claire.id) if "dans une semaine" in t)
    assert "📝 De votre clinicien\u00a0: Cessez le rétinol 7 jours avant." in one_week
    assert await note_in_database(running) == "Cessez le rétinol 7 jours avant."
    await stop()
