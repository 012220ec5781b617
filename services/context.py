"""The long-lived objects every handler and service may use: built once by bot/ (the
wiring), kept in the Application's bot_data, read by handlers as `context.services`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.clock import Clock
from clinic.content import ClinicContent, Content
from db.engine import Database
from db.retention import Retention
from services.waitlist import Offering


@dataclass
class StaffChat:
    """The staff group's chat id: Telegram gives a group a new one when it becomes a
    supergroup, and the bot follows (bot.staff_chat) without a restart."""

    id: int | None


@dataclass
class StaffRoster:
    """Who may act as clinic staff: the staff group's administrators or STAFF_USER_IDS.

    Being in the group is not enough (anyone can be added to a group). Telegram's list
    of administrators is kept in memory: no Bot API call may wait inside an update's
    transaction, so bot.staff_admins fetches it outside one, at start and every few
    minutes, and a chat_member update about the group changes it at once.
    """

    listed: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()
    # When the list was last fetched (the clock's time); None: never.
    fetched_at: datetime | None = None
    # Set when the group's membership changed in a way a fetch should confirm.
    stale: bool = False
    # Whether the last fetch failed (its error is logged once).
    failing: bool = False

    def allows(self, user_id: int) -> bool:
        return user_id in self.listed or user_id in self.admins

    def promoted(self, user_id: int, admin: bool) -> None:
        """A chat_member update: the user became an administrator, or stopped being one."""
        self.admins = self.admins | {user_id} if admin else self.admins - {user_id}


@dataclass(frozen=True)
class Services:
    """Long-lived objects shared by all handlers, kept in bot_data."""

    content: ClinicContent
    database: Database
    clock: Clock
    zone: ZoneInfo
    staff_chat: StaffChat
    # Whether staff confirm each booking; if not, bookings are confirmed at once.
    staff_confirm: bool
    # How long each kind of personal data is kept (the *_RETENTION_DAYS settings).
    retention: Retention = field(default_factory=Retention)
    staff: StaffRoster = field(default_factory=StaffRoster)
    # The staff group's language (STAFF_LANGUAGE): a folder of the content.
    staff_language: str = "en"
    # Months from a treatment to the long-term check-in (FOLLOWUP_MONTHS).
    followup_months: int = 12
    # How long a waitlist offer of a freed time can be taken (WAITLIST_HOLD_MINUTES).
    waitlist_hold: timedelta = timedelta(minutes=15)

    @property
    def staff_chat_id(self) -> int | None:
        return self.staff_chat.id

    @property
    def waitlist(self) -> Offering:
        """What offering a freed time to the waitlist needs."""
        return Offering(self.content.schedule, self.zone, self.waitlist_hold)

    @property
    def for_staff(self) -> Content:
        """What staff read: the content in the staff group's language."""
        return self.content.speaking(self.staff_language)

    def speaking(self, language: str | None, language_code: str | None = None) -> Content:
        """What a patient reads: their language, or the one their Telegram asks for."""
        if language is None:
            language = self.content.choose(language_code)
        return self.content.speaking(language)
