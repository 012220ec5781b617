"""Every language says everything the fallback (English) says: the same texts with the
same placeholders, the same questions, days of care and signs; labels that fit a
button; and a language is added by adding its folder."""

from __future__ import annotations

import re
import shutil
import string
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinic.content import PACKAGED_CONTENT, ContentError, load_content
from clinic.prescreen import Group

CONTENT = load_content()
LANGUAGES = list(CONTENT.languages)
ZONE = ZoneInfo("America/Toronto")
HANDLERS = Path(__file__).parents[2] / "handlers"
# A label longer than this wraps or is cut off on a phone's button.
MAX_BUTTON = 41
# Telegram's limit for a command's description in the command menu (BotCommand).
MAX_COMMAND_DESCRIPTION = 256


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def button_keys() -> set[str]:
    """The texts the handlers put on buttons: InlineKeyboardButton(<texts>("key")...),
    KeyboardButton(...), and ("key", DATA) pairs of menus and staff cards. A label put
    in a variable first escapes this reading: the French end-to-end tests check every
    label the bot sent (tests/e2e/test_french.py)."""
    code = "\n".join(path.read_text() for path in HANDLERS.rglob("*.py"))
    call = r"(?:Inline)?KeyboardButton\(\s*[\w.]*?text[s]?\(\s*\"([a-z_]+\.[a-z0-9_]+)\""
    pair = r"\(\s*\"([a-z_]+\.[a-z0-9_]+)\",\s*[A-Z][A-Z_]+\s*\)"
    return set(re.findall(call, code)) | set(re.findall(pair, code))


def test_french_is_spoken_beside_english() -> None:
    assert LANGUAGES == ["en", "fr"]
    assert CONTENT.speaking("fr").locale == "fr_CA"
    assert CONTENT.speaking("fr").own_name == "Français"
    assert CONTENT.speaking("en").name_of("fr") == "French"


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_a_translation_has_every_text_with_the_same_placeholders(language: str) -> None:
    source, translation = CONTENT.fallback.texts.entries, CONTENT.speaking(language).texts.entries
    assert set(translation) == set(source)
    for key, text in source.items():
        assert placeholders(translation[key]) == placeholders(text), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_button_labels_fit_a_phone(language: str) -> None:
    content = CONTENT.speaking(language)
    keys = button_keys()
    assert {"menu.book", "booking.back", "staff.confirm", "aftercare.fine"} <= keys
    # Placeholders as long as they come: "Tue 24 Nov", "mer. 25 nov."
    sample = {"day": content.dates(ZONE).day(date(2026, 11, 25))}
    labels = {key: content.texts(key, **sample) for key in keys}
    labels |= {f"faq.{t.key}": t.button for t in content.faq.topics}
    labels |= {f"sign.{s.key}": s.button for s in content.aftercare.signs}
    for question in content.questionnaire.questions:
        if question.group is Group.FITZPATRICK:
            labels |= {f"{question.key}.{i}": a for i, a in enumerate(question.answers)}
    too_long = {key: label for key, label in labels.items() if len(label) > MAX_BUTTON}
    assert too_long == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_command_descriptions_are_within_telegrams_limit(language: str) -> None:
    texts = CONTENT.speaking(language).texts
    for key in texts.entries:
        if key.startswith(("commands.", "staff_commands.")):
            assert 1 <= len(texts(key)) <= MAX_COMMAND_DESCRIPTION, key


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_text_missing_in_a_translation_stops_the_bot_naming_it(content_dir: Path) -> None:
    texts = content_dir / "fr" / "texts.toml"
    line = next(line for line in texts.read_text().splitlines() if line.startswith("book = "))
    edit(texts, line + "\n", "")
    with pytest.raises(ContentError, match=r"^fr/texts\.toml has no text 'menu\.book'$"):
        load_content(content_dir)


def test_a_translation_with_other_placeholders_is_refused(content_dir: Path) -> None:
    edit(
        content_dir / "fr" / "texts.toml",
        'greeting = "Bonjour {first_name}',
        'greeting = "Bonjour {name}',
    )
    with pytest.raises(ContentError, match=r"fr/texts\.toml: 'menu\.greeting' must use"):
        load_content(content_dir)


def test_a_translation_with_another_question_is_refused(content_dir: Path) -> None:
    edit(content_dir / "fr" / "prescreen.toml", 'key = "pregnant"', 'key = "enceinte"')
    with pytest.raises(ContentError, match=r"fr/prescreen\.toml must have the version"):
        load_content(content_dir)


def test_a_translation_with_other_days_of_care_is_refused(content_dir: Path) -> None:
    edit(content_dir / "fr" / "aftercare.toml", "healing_days = 14", "healing_days = 10")
    with pytest.raises(ContentError, match=r"fr/aftercare\.toml: co2 must have the days"):
        load_content(content_dir)


def test_a_third_language_is_a_folder(content_dir: Path) -> None:
    # Spanish, say: a copy of the French files with their locale changed is enough.
    shutil.copytree(content_dir / "fr", content_dir / "es")
    edit(content_dir / "es" / "texts.toml", 'locale = "fr_CA"', 'locale = "es_US"')
    content = load_content(content_dir)
    assert list(content.languages) == ["en", "es", "fr"]
    assert content.choose("es-MX") == "es" and content.choose("de") == "en"
    spanish = content.speaking("es")
    assert spanish.own_name == "Español"
    assert spanish.name_of("fr") == "francés"


def test_prices_follow_each_languages_currency_format() -> None:
    english = CONTENT.speaking("en").faq.topic("cost")
    french = CONTENT.speaking("fr").faq.topic("cost")
    assert english is not None and french is not None
    assert "$600 to $1,600" in english.answer
    assert "600\u00a0$" in french.answer and "1\u00a0600\u00a0$" in french.answer


def test_a_warning_sign_is_read_in_either_language() -> None:
    from clinic.triage import read_signs

    signs = CONTENT.speaking("en").aftercare.signs
    assert [f.sign for f in read_signs("J'ai de la fièvre depuis ce matin", signs)] == ["fever"]
    assert [f.sign for f in read_signs("I have a fever", CONTENT.speaking("fr").aftercare.signs)]
    assert read_signs("Je n'ai pas de fièvre", signs) == []
