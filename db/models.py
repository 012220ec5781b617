"""SQLAlchemy models: one class per table, tables singular snake_case."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import text

from clinic.statuses import ACTIVE, OutboxStatus
from db.types import UTCDateTime

# Named constraints, so migrations can refer to them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy's API)


class Patient(Base):
    """Someone who wrote to the bot in a private chat."""

    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # Telegram caps first and last names at 64 characters, usernames at 32.
    first_name: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(32))
    language_code: Mapped[str | None] = mapped_column(String(35))
    # The content folder the patient is spoken to in ("en", "fr"), set at first contact
    # from language_code and by /language; None: follow language_code.
    language: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    consented_at: Mapped[datetime | None]
    # False once the patient blocks the bot: scheduled messages to them stop.
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class FlowState(Base):
    """Where the patient is in a conversation: flow, step, and the answers so far."""

    __tablename__ = "flow_state"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class MessageLog(Base):
    """Each message in and out of a patient's chat, for staff history and export."""

    __tablename__ = "message_log"
    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        Index("ix_message_log_patient_at", "patient_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))
    # text, command, button, sticker, photo, contact, edit, contact_card, ...
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    update_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Each Telegram update the bot received, so that none is lost or handled twice.

    Long polling writes the updates it fetched (with their content) before telling
    Telegram to forget them; the update's own transaction marks it handled, and the
    content goes. A restart handles what is left. A webhook update gets its row when
    it is handled (Telegram posts it again until the bot answers 200).
    """

    __tablename__ = "processed_update"
    __table_args__ = (
        Index(
            "ix_processed_update_unhandled",
            "update_id",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # When it was received (fetched, or posted and handled).
    processed_at: Mapped[datetime] = mapped_column(index=True)
    # The update as Telegram sent it, until it is handled.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    handled_at: Mapped[datetime | None]


# An appointment in one of these statuses holds its time; the others free it. The
# partial index's SQL below lists the same (tests/unit/test_statuses.py checks it).
ACTIVE_STATUSES = tuple(sorted(ACTIVE))
_ACTIVE = text("status IN ('requested', 'confirmed')")


class Appointment(Base):
    """A free consultation, from the request to its end (declined, cancelled, held)."""

    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint(
            "status IN ('requested', 'confirmed', 'declined', 'cancelled', 'completed', 'no_show')",
            name="status",
        ),
        CheckConstraint("cancelled_by IN ('patient', 'staff')", name="cancelled_by"),
        CheckConstraint("seat >= 0", name="seat"),
        CheckConstraint("kind IN ('consultation', 'treatment')", name="kind"),
        CheckConstraint("laser IN ('co2', 'erbium')", name="laser"),
        # The database, not only the code, refuses a double booking: each active
        # appointment holds one seat of its start time among those of its kind, and
        # the code hands out seats 0 .. capacity-1 only. Two transactions racing for
        # the same seat: one fails. Treatments and consultations have seats of their own.
        Index(
            "uq_appointment_active_slot",
            "kind",
            "starts_at",
            "seat",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        Index("ix_appointment_patient_status", "patient_id", "status"),
        Index("ix_appointment_starts_at", "starts_at"),
        Index("ix_appointment_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None once the patient had their data deleted (/forget): a consultation that took
    # place stays in the clinic's record, without who it was.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    seat: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    # As the patient gave them for this booking; None after /forget.
    name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(20))
    rescheduled_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL")
    )
    # The staff member who confirmed or declined, and when.
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(8))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The patient's newest completed pre-screen when they booked, shown to staff.
    prescreen_id: Mapped[int | None] = mapped_column(
        ForeignKey("prescreen.id", ondelete="SET NULL")
    )
    # The patient pressed "I'll be there" on a reminder.
    attendance_confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # consultation or treatment (clinic.treatment.Kind).
    kind: Mapped[str] = mapped_column(
        String(16), default="consultation", server_default="consultation"
    )
    # A treatment: the laser, the consultation that planned it, and whether the patient
    # asked, when booking, for the aftercare messages to start on the day by themselves.
    laser: Mapped[str | None] = mapped_column(String(8))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL")
    )
    aftercare_agreed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )


class ConsultationOutcome(Base):
    """What staff recorded at the end of a consultation: a treatment planned (laser,
    sessions, a note the patient reads with their preparation), not suitable, or the
    patient to decide. One per consultation."""

    __tablename__ = "consultation_outcome"
    __table_args__ = (
        CheckConstraint("outcome IN ('planned', 'not_suitable', 'undecided')", name="outcome"),
        CheckConstraint("laser IN ('co2', 'erbium')", name="laser"),
        CheckConstraint("sessions >= 1", name="sessions"),
    )

    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(16))
    laser: Mapped[str | None] = mapped_column(String(8))
    sessions: Mapped[int | None] = mapped_column(SmallInteger)
    # Typed by staff in the group; the patient reads it in the week-before message.
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message to send: a reply to a patient's step, or one due at a time (reminders,
    nudges, notices to the staff group).

    A row is written in the transaction that decided it, so a crash never loses it.
    Whoever sends it first claims it for a while (`claimed_until`, a lease), sends it
    outside any transaction, and records the result afterwards; a row whose lease ran
    out (its process died) is claimed and sent again. Cancelling an appointment cancels
    its pending rows in the cancelling transaction.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'cancelled', 'expired')", name="status"
        ),
        # Claims take the oldest due rows in (due_at, id) order: with the id in the index
        # a claim reads its few rows in order, even when 100,000 are due at once.
        Index(
            "ix_outbox_pending_due",
            "due_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_appointment_id", "appointment_id"),
        Index("ix_outbox_patient_id", "patient_id"),
        Index("ix_outbox_plan_id", "plan_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # What to render (a reminder, a staff card, ...; `reply` rows carry the message).
    kind: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # Set for messages to a patient: they stop when the patient blocks the bot.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE")
    )
    # Set for aftercare messages: stopping the plan cancels its pending rows.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("aftercare_plan.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A process is sending the row until then; nobody else claims it before, unless
    # that process is gone (PostgreSQL: its advisory lock, see db.liveness).
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Prescreen(Base):
    """One run of the candidacy questionnaire; finished when it has an outcome."""

    __tablename__ = "prescreen"
    __table_args__ = (
        CheckConstraint("outcome IN ('not_now', 'discuss', 'no_concerns')", name="outcome"),
        Index("ix_prescreen_patient_started", "patient_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    # prescreen.toml's version: what the questions meant when they were answered.
    version: Mapped[str] = mapped_column(String(32))
    # The question the patient is at (0-based), to resume exactly there.
    position: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Reasons and flags in the words of the questionnaire, for staff: never the answers.
    not_now: Mapped[list[str] | None] = mapped_column(JSON)
    flags: Mapped[list[str] | None] = mapped_column(JSON)
    fitzpatrick_total: Mapped[int | None] = mapped_column(Integer)
    skin_type: Mapped[str | None] = mapped_column(String(8))


class PrescreenAnswer(Base):
    """A patient's answer to one question; changing it (Back) overwrites it."""

    __tablename__ = "prescreen_answer"

    prescreen_id: Mapped[int] = mapped_column(
        ForeignKey("prescreen.id", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    answer: Mapped[int] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime]


_SENDING = text("status = 'active'")


class ChatMigration(Base):
    """A group that Telegram turned into a supergroup, which has a new chat id.

    STAFF_CHAT_ID keeps naming the old id until the operator changes it; the bot
    follows this table so that staff posts keep arriving meanwhile, after restarts too.
    """

    __tablename__ = "chat_migration"

    old_chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    new_chat_id: Mapped[int] = mapped_column(BigInteger)
    migrated_at: Mapped[datetime]


class AftercarePlan(Base):
    """Daily aftercare messages after one treatment, from the invitation to the last day.

    invited (staff recorded the treatment) -> active (the patient said yes and chose a
    time) -> completed, or stopped (by the patient, a newer plan, or a block); an
    invitation the patient turns down is declined.
    """

    __tablename__ = "aftercare_plan"
    __table_args__ = (
        CheckConstraint("laser IN ('co2', 'erbium')", name="laser"),
        CheckConstraint(
            "status IN ('invited', 'declined', 'active', 'stopped', 'completed')", name="status"
        ),
        # One plan sends messages at a time: starting a new one stops the old one.
        Index(
            "uq_aftercare_plan_active",
            "patient_id",
            unique=True,
            postgresql_where=_SENDING,
            sqlite_where=_SENDING,
        ),
        Index("ix_aftercare_plan_appointment_id", "appointment_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    laser: Mapped[str] = mapped_column(String(8))
    treated_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(12))
    # The local time of day of the messages, chosen at opt-in.
    send_at: Mapped[time | None] = mapped_column(Time)
    # The plan day of the newest message sent: a day is never sent twice.
    last_nudge_day: Mapped[int | None] = mapped_column(Integer)
    # Set when staff recorded the treatment (on this appointment's card).
    recorded_by: Mapped[str | None] = mapped_column(String(128))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # patient, unreachable, replaced
    end_reason: Mapped[str | None] = mapped_column(String(16))


class AftercareCheckin(Base):
    """A patient's answer to "How is your skin today?", and any warning sign reported."""

    __tablename__ = "aftercare_checkin"
    __table_args__ = (
        CheckConstraint("answer IN ('ok', 'worried', 'sign')", name="answer"),
        Index("ix_aftercare_checkin_plan_at", "plan_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("aftercare_plan.id", ondelete="CASCADE"))
    # Days since the treatment when the patient answered.
    day: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(8))
    # aftercare.toml's sign key, for answer 'sign'.
    sign: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime]


class StaffWarning(Base):
    """A warning the bot gave the staff group once (e.g. the closed dates running out):
    its key, so that the hourly clean-up never gives it twice."""

    __tablename__ = "staff_warning"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sent_at: Mapped[datetime]


class Audit(Base):
    """Who did what as clinic staff, and when: each /patient, /export and decision on a
    card, written in the action's own transaction. No foreign keys: the record outlives
    the appointment or patient it names (ids only, never their data)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    # The staff member: Telegram user id and name as Telegram showed it then.
    user_id: Mapped[int] = mapped_column(BigInteger)
    user_name: Mapped[str] = mapped_column(String(128))
    # "appointment.confirm", "patient.view", "export.appointments", ...
    action: Mapped[str] = mapped_column(String(32))
    # The appointment's or patient's id, as the action names; None for an export.
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    # What else the action was about, never personal data: a date range, a laser.
    detail: Mapped[str | None] = mapped_column(String(64))


class Followup(Base):
    """The long-term check-in of a patient: the newest treatment it counts from, and
    whether the patient turned these check-ins off. One row per patient; the message
    itself is an outbox row (kind "followup") naming the treatment date it is about."""

    __tablename__ = "followup"
    __table_args__ = (CheckConstraint("answer IN ('holding', 'consult')", name="answer"),)

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True
    )
    # The newest treatment recorded: the check-in comes FOLLOWUP_MONTHS after it.
    treated_on: Mapped[date | None]
    # When the patient turned the check-ins off; None: they are on.
    off_at: Mapped[datetime | None]
    # The patient's answer to the newest check-in, and when.
    answer: Mapped[str | None] = mapped_column(String(8))
    answered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


_WAITING = text("ended_at IS NULL")


class WaitlistEntry(Base):
    """A patient waiting to hear of an earlier free consultation time, until a day.

    Ends (ended_at, end_reason) when the patient books, leaves the list, or the day
    passes. One open entry per patient: joining again changes its day.
    """

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint("end_reason IN ('booked', 'left', 'passed')", name="end_reason"),
        Index(
            "uq_waitlist_entry_open",
            "patient_id",
            unique=True,
            postgresql_where=_WAITING,
            sqlite_where=_WAITING,
        ),
        Index("ix_waitlist_entry_until", "until"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    # The last local day the patient wants to hear of a time on.
    until: Mapped[date]
    # Offers go out in this order (the order patients joined).
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(8))


class WaitlistOffer(Base):
    """A freed time offered to one waiting patient; it can be taken until `expires_at`.
    The booking itself is an appointment like any other (its seat index decides)."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'taken', 'gone', 'lost', 'ended')", name="status"),
        # A time is offered to an entry once, however often it frees up meanwhile.
        Index("uq_waitlist_offer_entry_start", "entry_id", "starts_at", unique=True),
        Index("ix_waitlist_offer_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8))
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
