"""Settings from the environment and `.env`, one class per concern, failing in one line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from clinic.content import FALLBACK_LANGUAGE, PACKAGED_CONTENT
from db.retention import Retention
from db.settings import DatabaseSettings

# An empty value means unset, as .env.example leaves the optional ones: `STAFF_CHAT_ID=`
# is no staff group, and an empty token is "not set", not "malformed".
_CONFIG = SettingsConfigDict(
    env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
)

# What to tell the operator for each setting, in the one line they see.
_HINTS = {
    "TELEGRAM_BOT_TOKEN": "set it to the token @BotFather gave you (digits, a colon, then letters)",
    "TELEGRAM_API_BASE_URL": "use an http(s) URL ending in /bot, e.g. https://api.telegram.org/bot",
    "TELEGRAM_MESSAGES_PER_SECOND": (
        "use a number from 0 (no overall limit) to 1000; Telegram allows about 30 (default)"
    ),
    "DATABASE_URL": (
        "use sqlite+aiosqlite:///clinic.db or postgresql+asyncpg://user:password@host/dbname"
    ),
    "STAFF_CHAT_ID": "use the staff group's numeric chat id, e.g. -1001234567890",
    "STAFF_USER_IDS": "use Telegram user ids separated by commas, e.g. 123456789,987654321",
    "CLINIC_TIMEZONE": "use an IANA time zone name, e.g. America/Toronto",
    "CLINIC_CONTENT_DIR": "use a folder holding the files of clinic/content/ (clinic.toml, ...)",
    "STAFF_LANGUAGE": (
        "use the name of a language folder of the clinic's content, e.g. en or fr (default en)"
    ),
    "WAITLIST_HOLD_MINUTES": "use a whole number of minutes from 1 to 1440 (default 15)",
    "LOG_LEVEL": "use one of DEBUG, INFO, WARNING, ERROR",
    "BOOKING_CONFIRMATION": "use staff (staff confirm each booking) or instant",
    "MESSAGE_LOG_RETENTION_DAYS": "use a whole number of days, at least 1 (default 90)",
    "CONVERSATION_RETENTION_DAYS": "use a whole number of days, at least 1 (default 30)",
    "UPDATE_RETENTION_DAYS": "use a whole number of days, at least 2 (default 7)",
    "OUTBOX_RETENTION_DAYS": "use a whole number of days, at least 1 (default 30)",
    "RECORD_RETENTION_DAYS": "use a whole number of days, at least 30 (default 730)",
    "FOLLOWUP_MONTHS": "use a whole number of months from 1 to 120 (default 12)",
    "WEBHOOK_URL": "use the public https URL Telegram should post to, e.g. https://bot.example.com/telegram",
    "WEBHOOK_LISTEN": "use the address to listen on, e.g. 0.0.0.0",
    "WEBHOOK_PORT": "use a port number from 1 to 65535",
    "WEBHOOK_SECRET_TOKEN": "use 16 to 256 characters of A-Z, a-z, 0-9, _ and -",
}


class SettingsError(Exception):
    """A setting is missing or malformed; the message is the one line to print."""


class TelegramSettings(BaseSettings):
    model_config = _CONFIG

    telegram_bot_token: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # Telegram refuses more than about 30 messages a second from one bot; the bulk lane
    # (bot.lanes) keeps under it. 0 turns the overall pace off (a self-hosted test
    # server, a benchmark); the per-chat and per-group limits stay.
    telegram_messages_per_second: float = Field(30, ge=0, le=1000)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", value.get_secret_value().strip()):
            raise ValueError("malformed")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url_shape(cls, value: str) -> str:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("malformed")
        return value


class ClinicSettings(BaseSettings):
    model_config = _CONFIG

    staff_chat_id: int | None = None
    # Who may act in the staff group besides its administrators: Telegram user ids.
    # NoDecode: the environment holds "1,2", not the JSON list pydantic-settings expects.
    staff_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    clinic_timezone: str = "America/Toronto"
    # A folder with the clinic's own copy of the files in clinic/content/
    clinic_content_dir: Path = PACKAGED_CONTENT
    # The language of the staff group's cards, alerts and commands: a content folder.
    staff_language: str = "en"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # staff: a booking is a request until staff confirm it in the group; instant: booked.
    booking_confirmation: Literal["staff", "instant"] = "staff"
    # How long a freed time offered to the waitlist can be taken by each patient.
    waitlist_hold_minutes: int = Field(15, ge=1, le=1440)
    # How long personal data is kept; the hourly clean-up (bot.housekeeping) deletes
    # what is older. README "Privacy" gives the reasons for the defaults.
    # The conversation log: staff's recent history of a chat, the patient's export.
    message_log_retention_days: int = Field(90, ge=1, le=36500)
    # Where an idle patient was in a flow, and pre-screens begun and left unfinished.
    conversation_retention_days: int = Field(30, ge=1, le=36500)
    # Handled Telegram updates: Telegram redelivers for at most 24 hours.
    update_retention_days: int = Field(7, ge=2, le=36500)
    # Sent, failed and cancelled outbox rows (each holds the message it carried).
    outbox_retention_days: int = Field(30, ge=1, le=36500)
    # Past appointments, finished pre-screens, ended aftercare plans and check-ins, and
    # a patient's profile once nothing else about them is left.
    record_retention_days: int = Field(730, ge=30, le=36500)
    # Months from a treatment to the check-in asking how the results are holding.
    followup_months: int = Field(12, ge=1, le=120)

    @field_validator("clinic_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("staff_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if not all(re.fullmatch(r"[1-9]\d{0,15}", part) for part in ids):
            raise ValueError("not a list of user ids")
        return frozenset(int(part) for part in ids)

    @field_validator("clinic_content_dir")
    @classmethod
    def _is_folder(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError("not a folder")
        return value

    @field_validator("staff_language")
    @classmethod
    def _spoken(cls, value: str, info: ValidationInfo) -> str:
        folder = info.data.get("clinic_content_dir", PACKAGED_CONTENT)
        language = value.strip().lower()
        # The fallback folder is required anyway: the content check names it if missing.
        if not re.fullmatch(r"[a-z]{2,8}", language) or (
            language != FALLBACK_LANGUAGE and not (folder / language / "texts.toml").is_file()
        ):
            raise ValueError("no such language")
        return language

    @field_validator("log_level", "booking_confirmation", mode="before")
    @classmethod
    def _case(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)

    @property
    def retention(self) -> Retention:
        return Retention(
            messages=timedelta(days=self.message_log_retention_days),
            conversations=timedelta(days=self.conversation_retention_days),
            updates=timedelta(days=self.update_retention_days),
            outbox=timedelta(days=self.outbox_retention_days),
            records=timedelta(days=self.record_retention_days),
        )


class WebhookSettings(BaseSettings):
    """For `clinic-bot run --webhook`: Telegram posts updates to WEBHOOK_URL over HTTPS
    (a reverse proxy ends TLS and forwards to WEBHOOK_LISTEN:WEBHOOK_PORT)."""

    model_config = _CONFIG

    webhook_url: str
    webhook_secret_token: SecretStr
    # Every interface: the bot runs behind a reverse proxy or inside a container.
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(8080, ge=1, le=65535)

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str) -> str:
        # Telegram posts only to https, on ports 443, 80, 88 or 8443.
        if not re.fullmatch(r"https://[^\s/:]+(:(443|80|88|8443))?(/\S*)?", value):
            raise ValueError("malformed")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        # Telegram takes 1-256 of these characters; fewer than 16 can be guessed.
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("malformed")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _address(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("malformed")
        return value.strip()

    @property
    def path(self) -> str:
        """The path Telegram posts to, taken from the public URL."""
        return urlsplit(self.webhook_url).path or "/"


@dataclass(frozen=True)
class Settings:
    telegram: TelegramSettings
    database: DatabaseSettings
    clinic: ClinicSettings


def _load(cls: type[BaseSettings]) -> Any:
    try:
        return cls()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "?"
        problem = "is not set" if error["type"] == "missing" else "is malformed"
        raise SettingsError(f"{name} {problem}: {_HINTS.get(name, 'see .env.example')}") from None


def load_database_settings() -> DatabaseSettings:
    """Reads only what `clinic-bot migrate` needs, so it works without a bot token."""
    return _load(DatabaseSettings)  # type: ignore[no-any-return]


def load_webhook_settings() -> WebhookSettings:
    """Read only for --webhook, where the URL and the secret token are required."""
    return _load(WebhookSettings)  # type: ignore[no-any-return]


def load_settings() -> Settings:
    """Reads every setting; raises SettingsError naming the first bad one."""
    return Settings(
        telegram=_load(TelegramSettings),
        database=_load(DatabaseSettings),
        clinic=_load(ClinicSettings),
    )
