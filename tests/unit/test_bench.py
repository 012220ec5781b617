"""The benchmarks' patient scripts are built from the content, as the bot reads it: a
change to the content's shape breaks them here, not in the next benchmark run."""

from __future__ import annotations

from bench import conversation, faq


def test_the_faq_script_taps_the_menu_and_the_topics() -> None:
    steps = faq.script(10)
    assert steps[0] == ("text", "/start")
    assert ("press", "ℹ️ About the treatment") in steps
    assert ("press", "What is it?") in steps and ("press", "« Other questions") in steps
    assert len(steps) == 10


def test_the_conversation_script_answers_every_question_then_books() -> None:
    steps = conversation.script()
    assert ("press", "📅 Book a free consultation") in steps
    assert steps[-1] == ("press", "✅ Confirm booking")
