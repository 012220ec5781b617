"""Loading the clinic's editable content from TOML: the clinic's details and schedule,
shared by every language, and one folder per language (en/, fr/, ...) with what people
read: texts, FAQ, pre-screen and aftercare plans.

Why content files per language rather than gettext catalogues: the pre-screen, the FAQ
and the aftercare plans are structured (questions with groups, care by day, warning
signs with their words), not a flat list of sentences, and texts are looked up by a
stable key rather than by their English wording, so the clinic can reword English
without orphaning a translation. A translation must mirror its source exactly (the
same keys, placeholders, questions, days and signs), checked here at start; a third
language is a third folder."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import get_month_names
from babel.numbers import NumberPattern

from clinic.aftercare import (
    ENGLISH_DAYS,
    ENGLISH_MONTHS,
    Aftercare,
    CarePlan,
    Laser,
    Sign,
    plain,
)
from clinic.prescreen import Band, Group, Question, Questionnaire
from clinic.schedule import Schedule
from clinic.treatment import PREPARATION_STAGES, Treatments
from clinic.when import Dates

PACKAGED_CONTENT = Path(__file__).parent / "content"
# Spoken to anyone whose Telegram language the clinic has no folder for.
FALLBACK_LANGUAGE = "en"
# The files each language folder holds; clinic.toml and schedule.toml are shared.
LANGUAGE_FILES = ("texts.toml", "faq.toml", "prescreen.toml", "aftercare.toml")

# Telegram's hard limit for a message; content that exceeds it could never be sent.
MAX_MESSAGE_LENGTH = 4096
# Keys travel inside callback_data (64 bytes at most), next to a short prefix.
_KEY = re.compile(r"[a-z0-9_]{1,32}")


class ContentError(Exception):
    """A content file is missing, malformed or incomplete; the message is one line."""


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    # The name in a language that says it differently ("notre clinique"), by folder.
    names: Mapping[str, str]
    phone: str  # international format, which Telegram shows as a tappable number
    phone_e164: str
    address: str


@dataclass(frozen=True)
class FaqTopic:
    key: str
    button: str
    answer: str


@dataclass(frozen=True)
class Faq:
    topics: tuple[FaqTopic, ...]

    def topic(self, key: str) -> FaqTopic | None:
        return next((topic for topic in self.topics if topic.key == key), None)


class Texts:
    """Message texts by dotted key, e.g. texts("menu.greeting", first_name="Ana")."""

    def __init__(self, entries: Mapping[str, str], defaults: Mapping[str, str]) -> None:
        self._entries = dict(entries)
        self._defaults = dict(defaults)

    def __call__(self, key: str, **values: str) -> str:
        try:
            template = self._entries[key]
        except KeyError:
            raise ContentError(f"texts.toml has no text '{key}'") from None
        return template.format_map({**self._defaults, **values})

    @property
    def entries(self) -> Mapping[str, str]:
        """Every template by key, unfilled (for checking translations)."""
        return self._entries


@dataclass(frozen=True)
class Content:
    """Everything a person reads in one language, beside the clinic's shared details."""

    language: str  # the folder's name: "en", "fr"
    locale: str  # CLDR, for dates, times and prices: "en_CA", "fr_CA"
    clinic: ClinicInfo
    faq: Faq
    texts: Texts
    schedule: Schedule
    questionnaire: Questionnaire
    aftercare: Aftercare

    def dates(self, zone: ZoneInfo) -> Dates:
        return Dates(
            zone,
            self.locale,
            when_phrase=self.texts.entries["dates.when"],
            day_year_phrase=self.texts.entries["dates.day_year"],
        )

    def name_of(self, language: str) -> str:
        """How this language names `language`: "French", "anglais" (CLDR)."""
        name: str | None = Locale.parse(language).get_language_name(self.locale)
        return name or language

    @property
    def own_name(self) -> str:
        """How the language names itself, as on its button: "English", "Français"."""
        name = self.name_of(self.language)
        return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class ClinicContent:
    """The content in every language the clinic speaks, the fallback first."""

    languages: Mapping[str, Content]

    @property
    def fallback(self) -> Content:
        return self.languages[FALLBACK_LANGUAGE]

    @property
    def clinic(self) -> ClinicInfo:
        return self.fallback.clinic

    @property
    def schedule(self) -> Schedule:
        return self.fallback.schedule

    def speaking(self, language: str | None) -> Content:
        """The content in `language`, or in the fallback language if there is none."""
        return self.languages.get(language or FALLBACK_LANGUAGE, self.fallback)

    @cached_property
    def months(self) -> Mapping[str, int]:
        """Month names as typed in any language spoken here (plain: no accents)."""
        months = dict(ENGLISH_MONTHS)
        for spoken in self.languages.values():
            for width in ("wide", "abbreviated"):
                for number, name in get_month_names(width, locale=spoken.locale).items():
                    months[plain(name).rstrip(".")] = number
        return months

    @cached_property
    def day_words(self) -> Mapping[str, int]:
        """'today', 'hier'...: a typed day's word in any language -> days ago."""
        words = dict(ENGLISH_DAYS)
        for spoken in self.languages.values():
            words[plain(spoken.texts("dates.today"))] = 0
            words[plain(spoken.texts("dates.yesterday"))] = 1
        return words

    def reword(self, said: str, content: Content) -> str:
        """Words stored as they were said, in `content`'s language: a pre-screen reason
        or flag, a cancellation reason picked from a list. A text no language has any
        more (the clinic reworded it since) stays as it was."""
        for spoken in self.languages.values():
            for theirs, ours in zip(
                spoken.questionnaire.questions, content.questionnaire.questions, strict=True
            ):
                if theirs.reason == said:
                    return ours.reason
            for their_band, our_band in zip(
                spoken.questionnaire.bands, content.questionnaire.bands, strict=True
            ):
                if their_band.flag == said:
                    return our_band.flag
            for key, text in spoken.texts.entries.items():
                if key.startswith(_STORED_AS_SAID) and text == said:
                    return content.texts(key)
        return said

    def choose(self, language_code: str | None) -> str:
        """The language for someone whose Telegram is set to `language_code` ("fr-CA")."""
        primary = (language_code or "").split("-")[0].lower()
        return primary if primary in self.languages else FALLBACK_LANGUAGE


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ContentError(f"{path} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path} is not valid TOML: {exc}") from None


def _clinic(data: dict[str, Any]) -> ClinicInfo:
    try:
        number = phonenumbers.parse(str(data["phone"]), "CA")
    except KeyError:
        raise ContentError("clinic.toml has no 'phone'") from None
    except phonenumbers.NumberParseException:
        raise ContentError(f"clinic.toml: phone '{data['phone']}' is not a number") from None
    if not phonenumbers.is_valid_number(number):
        raise ContentError(f"clinic.toml: phone '{data['phone']}' is not a valid number")
    return ClinicInfo(
        name=str(data.get("name", "the clinic")),
        names={str(language): str(name) for language, name in data.get("names", {}).items()},
        phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        phone_e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        address=str(data.get("address", "")),
    )


def _fill(where: str, raw: Any, values: Mapping[str, str]) -> str:
    """A text with the clinic's details and prices filled in; no other placeholder."""
    fields = {name for _, name, _, _ in string.Formatter().parse(str(raw)) if name}
    if unknown := fields - set(values):
        raise ContentError(f"{where} uses unknown {{{sorted(unknown)[0]}}}")
    return str(raw).strip().format_map(values)


def _faq(data: dict[str, Any], values: Mapping[str, str]) -> Faq:
    topics = []
    for number, raw in enumerate(data.get("topic", []), start=1):
        try:
            answer = _fill(f"faq.toml: topic {number}", raw["answer"], values)
            topic = FaqTopic(key=raw["key"], button=raw["button"], answer=answer)
        except KeyError as exc:
            raise ContentError(f"faq.toml: topic {number} has no {exc}") from None
        if not _KEY.fullmatch(topic.key):
            raise ContentError(f"faq.toml: key '{topic.key}' must be 1-32 of a-z, 0-9, _")
        if len(topic.answer) > MAX_MESSAGE_LENGTH:
            raise ContentError(f"faq.toml: the answer of '{topic.key}' is over 4096 characters")
        topics.append(topic)
    if not topics:
        raise ContentError("faq.toml has no [[topic]]")
    keys = [topic.key for topic in topics]
    if len(set(keys)) != len(keys):
        raise ContentError("faq.toml: two topics share a key")
    return Faq(topics=tuple(topics))


# Texts kept in the database as the words picked (a cancellation's reason), which
# ClinicContent.reword shows in another reader's language.
_STORED_AS_SAID = ("appointments.reason_", "staff.cancel_reason_")

# Placeholders the handlers fill in, besides the clinic's details.
_FILLED_BY_THE_BOT = {
    "signs",
    "words",
    "treatment",
    "said",
    "paused",
    "first_name",
    "name",
    "patient_phone",
    "when",
    "old_when",
    "day",
    "minutes",
    "hours",
    "days",
    "count",
    "staff",
    "reason",
    "prescreen",
    "outcome",
    "number",
    "total",
    "skin_type",
    "text",
    "laser",
    "time",
    "healing_days",
    "milestones",
    "sign",
    "first",
    "last",
    "max",
    "status",
    "query",
    "username",
    "arrow",
    "year",
    "language",
    "note",
    "joined",
    "most",
    "length",
    "reference",
}

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PERIOD = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


def _whole(data: dict[str, Any], key: str, default: int, least: int) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ContentError(f"schedule.toml: {key} must be a whole number, at least {least}")
    return value


def _period(weekday: str, text: Any) -> tuple[time, time]:
    match = _PERIOD.fullmatch(str(text).strip())
    try:
        if match is None:
            raise ValueError
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ContentError(
            f"schedule.toml: hours.{weekday} has '{text}'; write periods like \"10:00-18:00\""
        ) from None
    if closes <= opens:
        raise ContentError(f"schedule.toml: hours.{weekday} period '{text}' ends before it starts")
    return opens, closes


def _schedule(data: dict[str, Any]) -> Schedule:
    hours_table = data.get("hours", {})
    if unknown := set(hours_table) - set(_WEEKDAYS):
        raise ContentError(f"schedule.toml: [hours] has unknown day '{sorted(unknown)[0]}'")
    hours = {
        number: tuple(_period(name, text) for text in hours_table.get(name, []))
        for number, name in enumerate(_WEEKDAYS)
    }
    if not any(hours.values()):
        raise ContentError("schedule.toml: [hours] opens on no day")
    closed = set()
    for text in data.get("closed", {}).get("dates", []):
        try:
            closed.add(date.fromisoformat(str(text)))
        except ValueError:
            raise ContentError(f"schedule.toml: closed date '{text}' is not YYYY-MM-DD") from None
    return Schedule(
        hours=hours,
        closed=frozenset(closed),
        length=timedelta(minutes=_whole(data, "consultation_minutes", 30, 5)),
        buffer=timedelta(minutes=_whole(data, "buffer_minutes", 0, 0)),
        notice=timedelta(hours=_whole(data, "minimum_notice_hours", 12, 0)),
        horizon_days=_whole(data, "horizon_days", 30, 1),
        capacity=_whole(data, "capacity", 1, 1),
        per_patient=_whole(data, "per_patient", 1, 1),
        treatments=_treatments(data.get("treatment", {})),
    )


def _treatments(data: dict[str, Any]) -> Treatments:
    """schedule.toml [treatment]: its length, seats and preparation messages."""
    # A schedule.toml from before treatments were booked has no table: the defaults.
    stages = data.get("preparation_days", dict(Treatments().preparation))
    if not isinstance(stages, dict) or set(stages) != set(PREPARATION_STAGES):
        raise ContentError(
            "schedule.toml: [treatment.preparation_days] must give " + ", ".join(PREPARATION_STAGES)
        )
    for stage in PREPARATION_STAGES:
        _whole(stages, stage, 1, 1)
    try:
        at = time.fromisoformat(str(data.get("preparation_time", "10:00")))
    except ValueError:
        raise ContentError("schedule.toml: [treatment] preparation_time is not HH:MM") from None
    return Treatments(
        length=timedelta(minutes=_whole(data, "minutes", 90, 5)),
        capacity=_whole(data, "capacity", 1, 1),
        preparation=tuple((stage, int(stages[stage])) for stage in PREPARATION_STAGES),
        preparation_at=at,
        max_sessions=_whole(data, "max_sessions", 3, 1),
    )


_FITZPATRICK_ANSWERS = 5  # scored 0 to 4


def _question(number: int, raw: dict[str, Any], yes_no: tuple[str, str]) -> Question:
    where = f"prescreen.toml: question {number}"
    try:
        group = Group(raw.get("group"))
        key, text = str(raw["key"]), str(raw["text"])
    except (KeyError, ValueError):
        raise ContentError(f"{where} needs a key, a text and a group") from None
    if not _KEY.fullmatch(key):
        raise ContentError(f"{where}: key '{key}' must be 1-32 of a-z, 0-9, _")
    if group is Group.FITZPATRICK:
        answers = tuple(str(answer) for answer in raw.get("answers", []))
        if len(answers) != _FITZPATRICK_ANSWERS:
            raise ContentError(f"{where} ({key}) needs 5 answers, scored 0 to 4")
        return Question(key, group, text, answers)
    if not raw.get("reason"):
        raise ContentError(f"{where} ({key}) needs a reason")
    if group is Group.NOT_NOW and not raw.get("advice"):
        raise ContentError(f"{where} ({key}) needs advice: what to do instead")
    return Question(key, group, text, yes_no, str(raw["reason"]), str(raw.get("advice", "")))


def _questionnaire(data: dict[str, Any], texts: Texts) -> Questionnaire:
    yes_no = (texts("prescreen.yes"), texts("prescreen.no"))
    questions = tuple(
        _question(number, raw, yes_no)
        for number, raw in enumerate(data.get("question", []), start=1)
    )
    if not questions or not data.get("version"):
        raise ContentError("prescreen.toml needs a version and at least one [[question]]")
    if len({q.key for q in questions}) != len(questions):
        raise ContentError("prescreen.toml: two questions share a key")
    bands = tuple(
        Band(
            int(raw["up_to"]),
            str(raw["type"]),
            str(raw.get("flag", "")),
            str(raw.get("discuss_result", "")).strip(),
        )
        for raw in data.get("band", [])
    )
    highest = _FITZPATRICK_ANSWERS - 1
    top = highest * sum(q.group is Group.FITZPATRICK for q in questions)
    if not bands or [b.up_to for b in bands] != sorted(b.up_to for b in bands):
        raise ContentError("prescreen.toml: [[band]] up_to values must rise")
    if bands[-1].up_to < top:
        raise ContentError(f"prescreen.toml: the last [[band]] must reach {top}")
    return Questionnaire(str(data["version"]), questions, bands)


def _prices(data: dict[str, Any]) -> dict[str, int]:
    prices = data.get("prices", {})
    for name, amount in prices.items():
        if not _KEY.fullmatch(name) or not isinstance(amount, int) or amount < 0:
            raise ContentError(f"clinic.toml: [prices] {name} must be a whole number of dollars")
    return dict(prices)


def _money(amount: int, locale: Locale) -> str:
    """Whole dollars in the locale's currency format: "$1,600", "1 600 $"."""
    pattern = locale.currency_formats["standard"]
    whole = NumberPattern(
        pattern.pattern,
        pattern.prefix,
        pattern.suffix,
        pattern.grouping,
        pattern.int_prec,
        (0, 0),
        pattern.exp_prec,
        pattern.exp_plus,
        pattern.number_pattern,
    )
    return str(whole.apply(amount, locale, currency="CAD", currency_digits=False))


def _values(clinic: ClinicInfo, prices: Mapping[str, int], locale: Locale) -> dict[str, str]:
    """What every text may use: the clinic's details and its prices."""
    return {
        "clinic": clinic.name,
        "phone": clinic.phone,
        "address": clinic.address,
        **{name: _money(amount, locale) for name, amount in prices.items()},
    }


def _care_text(where: str, raw: Any, values: Mapping[str, str]) -> str:
    text = _fill(f"aftercare.toml: {where}", raw, values)
    # Room for the day's heading and the check-in question around it.
    if not text or len(text) > MAX_MESSAGE_LENGTH // 2:
        raise ContentError(f"aftercare.toml: {where} must have a text of 1-2048 characters")
    return text


def _care_plan(laser: Laser, data: dict[str, Any], values: Mapping[str, str]) -> CarePlan:
    table = data.get(laser.value)
    if not isinstance(table, dict) or "name" not in table:
        raise ContentError(f"aftercare.toml: [{laser.value}] with a name is missing")
    healing = table.get("healing_days")
    if not isinstance(healing, int) or isinstance(healing, bool) or healing < 1:
        raise ContentError(f"aftercare.toml: {laser.value}.healing_days must be a whole number")
    care: dict[int, str] = {}
    for number, raw in enumerate(table.get("care", []), start=1):
        where = f"{laser.value}.care {number}"
        first, last = raw.get("from"), raw.get("to", raw.get("from"))
        if not all(isinstance(day, int) and 0 <= day <= 365 for day in (first, last)):
            raise ContentError(f"aftercare.toml: {where} needs days 'from' and 'to', 0 to 365")
        if last < first:
            raise ContentError(f"aftercare.toml: {where} ends before it starts")
        text = _care_text(where, raw.get("text", ""), values)
        for day in range(first, last + 1):
            if day in care:
                raise ContentError(f"aftercare.toml: {laser.value} has two texts for day {day}")
            care[day] = text
    if missing := [day for day in range(healing + 1) if day not in care]:
        raise ContentError(f"aftercare.toml: {laser.value} has no care for day {missing[0]}")
    return CarePlan(laser, str(table["name"]), healing, care)


def _time(text: Any) -> time:
    try:
        return time.fromisoformat(str(text))
    except ValueError:
        raise ContentError(f"aftercare.toml: time '{text}' is not HH:MM") from None


def _aftercare(data: dict[str, Any], values: Mapping[str, str]) -> Aftercare:
    signs = []
    for number, raw in enumerate(data.get("sign", []), start=1):
        key, button = str(raw.get("key", "")), str(raw.get("button", ""))
        if not _KEY.fullmatch(key) or not button:
            raise ContentError(
                f"aftercare.toml: sign {number} needs a key (a-z, 0-9, _) and a button"
            )
        words = raw.get("words", [])
        if not isinstance(words, list) or not all(
            isinstance(word, str) and word.strip() for word in words
        ):
            raise ContentError(f"aftercare.toml: sign {key}'s words must be a list of phrases")
        signs.append(Sign(key, button, tuple(word.strip() for word in words)))
    if not signs or len({sign.key for sign in signs}) != len(signs):
        raise ContentError("aftercare.toml needs [[sign]] entries with different keys")
    times = tuple(_time(text) for text in data.get("times", []))
    default = _time(data.get("default_time", "09:00"))
    if default not in times:
        raise ContentError("aftercare.toml: default_time must be one of the times")
    max_days_ago = data.get("max_days_ago", 60)
    if not isinstance(max_days_ago, int) or max_days_ago < 1:
        raise ContentError("aftercare.toml: max_days_ago must be a whole number, at least 1")
    return Aftercare(
        plans={laser: _care_plan(laser, data, values) for laser in Laser},
        signs=tuple(signs),
        times=tuple(sorted(times)),
        default_time=default,
        max_days_ago=max_days_ago,
    )


def _texts(data: dict[str, Any], values: Mapping[str, str]) -> Texts:
    entries = {
        f"{section}.{key}": value for section, table in data.items() for key, value in table.items()
    }
    # Fail at start, not in front of a patient, on a placeholder the bot never fills.
    known = {*values, *_FILLED_BY_THE_BOT}
    for key, template in entries.items():
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        if unknown := fields - known:
            raise ContentError(f"texts.toml: '{key}' uses unknown {{{sorted(unknown)[0]}}}")
    return Texts(entries, values)


def _locale(data: dict[str, Any], folder: Path) -> Locale:
    code = str(data.get("language", {}).get("locale", ""))
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ContentError(
            f"texts.toml: [language] locale '{code}' is not a CLDR locale like fr_CA"
        ) from None


def _language(
    folder: Path, clinic: ClinicInfo, schedule: Schedule, prices: Mapping[str, int]
) -> Content:
    try:
        raw_texts = _read(folder, "texts.toml")
        clinic = replace(clinic, name=clinic.names.get(folder.name, clinic.name))
        locale = _locale(raw_texts, folder)
        values = _values(clinic, prices, locale)
        texts = _texts(raw_texts, values)
        return Content(
            language=folder.name,
            locale=str(locale),
            clinic=clinic,
            faq=_faq(_read(folder, "faq.toml"), values),
            texts=texts,
            schedule=schedule,
            questionnaire=_questionnaire(_read(folder, "prescreen.toml"), texts),
            aftercare=_aftercare(_read(folder, "aftercare.toml"), values),
        )
    except ContentError as exc:
        message = str(exc)
        raise ContentError(
            message if str(folder) in message else f"{folder.name}/{message}"
        ) from None


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _mirror(translation: Content, source: Content) -> None:
    """A translation says the same things as the source: the same texts with the same
    placeholders, topics, questions, bands, days of care and signs."""
    where = translation.language
    for key, template in source.texts.entries.items():
        theirs = translation.texts.entries.get(key)
        if theirs is None:
            raise ContentError(f"{where}/texts.toml has no text '{key}'")
        if _placeholders(theirs) != _placeholders(template):
            raise ContentError(
                f"{where}/texts.toml: '{key}' must use the placeholders of "
                f"{source.language}/texts.toml: {sorted(_placeholders(template))}"
            )
    if extra := set(translation.texts.entries) - set(source.texts.entries):
        raise ContentError(f"{where}/texts.toml: '{sorted(extra)[0]}' is not in {source.language}/")
    if [t.key for t in translation.faq.topics] != [t.key for t in source.faq.topics]:
        raise ContentError(f"{where}/faq.toml must have the topics of {source.language}/, in order")
    ours, theirs_q = source.questionnaire, translation.questionnaire
    if (
        theirs_q.version != ours.version
        or [(q.key, q.group, len(q.answers)) for q in theirs_q.questions]
        != [(q.key, q.group, len(q.answers)) for q in ours.questions]
        or [(b.up_to, b.skin_type, bool(b.flag)) for b in theirs_q.bands]
        != [(b.up_to, b.skin_type, bool(b.flag)) for b in ours.bands]
    ):
        raise ContentError(
            f"{where}/prescreen.toml must have the version, questions and bands of "
            f"{source.language}/, in order"
        )
    care, theirs_a = source.aftercare, translation.aftercare
    for laser, plan in care.plans.items():
        other = theirs_a.plans[laser]
        if other.healing_days != plan.healing_days or other.days != plan.days:
            raise ContentError(
                f"{where}/aftercare.toml: {laser.value} must have the days of {source.language}/"
            )
    if [sign.key for sign in theirs_a.signs] != [sign.key for sign in care.signs] or (
        theirs_a.times,
        theirs_a.default_time,
        theirs_a.max_days_ago,
    ) != (care.times, care.default_time, care.max_days_ago):
        raise ContentError(
            f"{where}/aftercare.toml must have the signs, times and max_days_ago of "
            f"{source.language}/"
        )


def _with_every_languages_words(content: Content, words: Mapping[str, tuple[str, ...]]) -> Content:
    """A patient may report a warning sign in any language the clinic speaks."""
    signs = tuple(Sign(sign.key, sign.button, words[sign.key]) for sign in content.aftercare.signs)
    aftercare = replace(content.aftercare, signs=signs)
    return replace(content, aftercare=aftercare)


def load_content(directory: Path = PACKAGED_CONTENT) -> ClinicContent:
    """Reads and checks clinic.toml, schedule.toml and each language's folder."""
    shared = _read(directory, "clinic.toml")
    clinic, prices = _clinic(shared), _prices(shared)
    schedule = _schedule(_read(directory, "schedule.toml"))
    folders = sorted(
        (path for path in directory.iterdir() if (path / "texts.toml").is_file()),
        key=lambda path: (path.name != FALLBACK_LANGUAGE, path.name),
    )
    if not folders or folders[0].name != FALLBACK_LANGUAGE:
        raise ContentError(f"{directory}/{FALLBACK_LANGUAGE}/ (the fallback language) is missing")
    languages = [_language(folder, clinic, schedule, prices) for folder in folders]
    for translation in languages[1:]:
        _mirror(translation, languages[0])
    words: dict[str, tuple[str, ...]] = {}
    for content in languages:
        for sign in content.aftercare.signs:
            words[sign.key] = (*words.get(sign.key, ()), *sign.words)
    return ClinicContent(
        {content.language: _with_every_languages_words(content, words) for content in languages}
    )
