"""Clinic content: the shipped files load, and a broken file fails in one clear line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from clinic.aftercare import Laser
from clinic.content import PACKAGED_CONTENT, ContentError, load_content


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(PACKAGED_CONTENT, target)
    return target


def file_of(content_dir: Path, name: str, language: str = "en") -> Path:
    """Where a content file lives: shared at the top, the rest in a language's folder."""
    shared = name in ("clinic.toml", "schedule.toml")
    return content_dir / name if shared else content_dir / language / name


def test_shipped_content_loads() -> None:
    content = load_content().fallback
    assert content.clinic.phone == "+1 905-929-3134"
    assert content.clinic.phone_e164 == "+19059293134"
    assert [t.key for t in content.faq.topics] == [
        "what",
        "improves",
        "how",
        "avoid",
        "cost",
        "recovery",
        "care",
        "results",
        "risks",
    ]


def test_texts_fill_in_the_clinic_and_the_name() -> None:
    texts = load_content().fallback.texts
    assert texts("menu.greeting", first_name="Ana").startswith("Hi Ana!")
    assert "+1 905-929-3134" in texts("contact.text")


def test_a_missing_text_names_its_key() -> None:
    with pytest.raises(ContentError, match=r"texts\.toml has no text 'menu\.nope'"):
        load_content().fallback.texts("menu.nope")


def test_answers_never_claim_a_diagnosis() -> None:
    avoid = load_content().fallback.faq.topic("avoid")
    assert avoid is not None and "Only a clinician can say" in avoid.answer


@pytest.mark.parametrize(
    ("file", "text", "error"),
    [
        ("clinic.toml", 'phone = "555"', "clinic.toml: phone '555' is not a valid number"),
        ("clinic.toml", 'name = "x"', "clinic.toml has no 'phone'"),
        ("faq.toml", "[[topic]]\nkey = 'a'\nbutton = 'A'", "faq.toml: topic 1 has no 'answer'"),
        (
            "faq.toml",
            "[[topic]]\nkey = 'A b'\nbutton = 'A'\nanswer = 'x'",
            "faq.toml: key 'A b' must be 1-32 of a-z, 0-9, _",
        ),
        ("faq.toml", "", "faq.toml has no [[topic]]"),
        (
            "texts.toml",
            '[language]\nlocale = "en_CA"\n[menu]\ngreeting = "Hi {nickname}"',
            "texts.toml: 'menu.greeting' uses unknown {nickname}",
        ),
        (
            "schedule.toml",
            '[hours]\nmonday = ["10-18"]',
            "schedule.toml: hours.monday has '10-18'; write periods like \"10:00-18:00\"",
        ),
        (
            "schedule.toml",
            '[hours]\nmonday = ["18:00-10:00"]',
            "schedule.toml: hours.monday period '18:00-10:00' ends before it starts",
        ),
        (
            "schedule.toml",
            "[hours]\nfunday = []",
            "schedule.toml: [hours] has unknown day 'funday'",
        ),
        ("schedule.toml", "[hours]", "schedule.toml: [hours] opens on no day"),
        (
            "schedule.toml",
            'capacity = 0\n[hours]\nmonday = ["10:00-18:00"]',
            "schedule.toml: capacity must be a whole number, at least 1",
        ),
        (
            "schedule.toml",
            '[hours]\nmonday = ["10:00-18:00"]\n[closed]\ndates = ["25/12/2026"]',
            "schedule.toml: closed date '25/12/2026' is not YYYY-MM-DD",
        ),
        (
            "schedule.toml",
            '[hours]\nmonday = ["10:00-18:00"]\n[treatment]\nminutes = 0',
            "schedule.toml: minutes must be a whole number, at least 5",
        ),
        (
            "schedule.toml",
            '[hours]\nmonday = ["10:00-18:00"]\n[treatment.preparation_days]\ntwo_weeks = 14',
            "schedule.toml: [treatment.preparation_days] must give two_weeks, one_week, day_before",
        ),
        (
            "schedule.toml",
            '[hours]\nmonday = ["10:00-18:00"]\n[treatment]\npreparation_time = "ten"',
            "schedule.toml: [treatment] preparation_time is not HH:MM",
        ),
        ("texts.toml", "[menu\n", "is not valid TOML"),
        ("texts.toml", '[language]\nlocale = "xx_YY"', "en/texts.toml: [language] locale 'xx_YY'"),
    ],
)
def test_broken_content_fails_in_one_line(
    content_dir: Path, file: str, text: str, error: str
) -> None:
    file_of(content_dir, file).write_text(text)
    with pytest.raises(ContentError, match=re.escape(error)) as raised:
        load_content(content_dir)
    assert "\n" not in str(raised.value)


def test_an_answer_too_long_for_telegram_is_refused(content_dir: Path) -> None:
    answer = "x" * 4097
    file_of(content_dir, "faq.toml").write_text(
        f"[[topic]]\nkey = 'long'\nbutton = 'Long'\nanswer = '{answer}'\n"
    )
    with pytest.raises(ContentError, match="over 4096 characters"):
        load_content(content_dir)


def test_a_missing_file_is_named(content_dir: Path) -> None:
    (content_dir / "en" / "faq.toml").unlink()
    with pytest.raises(ContentError, match=r"en/faq\.toml is missing"):
        load_content(content_dir)


_PLAN = """
[co2]
name = "CO2 laser"
healing_days = 2
[[co2.care]]
from = 0
to = 2
text = "Rest."
[erbium]
name = "Erbium laser"
healing_days = 1
[[erbium.care]]
from = 0
to = 1
text = "Rest."
[[sign]]
key = "fever"
button = "Fever"
"""


def test_shipped_aftercare_plans_cover_every_healing_day() -> None:
    plans = load_content().fallback.aftercare.plans
    co2, erbium = plans[Laser.CO2], plans[Laser.ERBIUM]
    assert co2.days == (*range(15), 21, 28, 42, 56)
    assert erbium.days == (*range(6), 7, 14, 28, 42, 56)
    assert "Retin-A" in co2.care[28] and "Retin-A" in erbium.care[28]
    assert "+1 905-929-3134" in co2.care[14]  # {phone} filled in


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (("to = 2", "to = 1"), "aftercare.toml: co2 has no care for day 2"),
        (('text = "Rest."', 'text = "Call {nurse}"'), "co2.care 1 uses unknown {nurse}"),
        (("from = 0\nto = 2", "from = 2\nto = 0"), "co2.care 1 ends before it starts"),
        (('key = "fever"', 'key = "Fever!"'), "sign 1 needs a key (a-z, 0-9, _) and a button"),
        (("[erbium]", "[erbium_x]"), "aftercare.toml: [erbium] with a name is missing"),
    ],
)
def test_a_broken_aftercare_plan_fails_in_one_line(
    content_dir: Path, change: tuple[str, str], error: str
) -> None:
    text = 'times = ["09:00"]\n' + _PLAN.replace(*change, 1)
    file_of(content_dir, "aftercare.toml").write_text(text)
    with pytest.raises(ContentError, match=re.escape(error)):
        load_content(content_dir)


def test_the_default_time_must_be_one_of_the_choices(content_dir: Path) -> None:
    file_of(content_dir, "aftercare.toml").write_text('times = ["08:00"]\n' + _PLAN)
    with pytest.raises(ContentError, match="default_time must be one of the times"):
        load_content(content_dir)
