"""The core's tables: users, areas, teams, invites, dialog state, processed messages, the audit log, the push
outbox, scheduled jobs' runs and the channels' shared send budgets.

Feature packages add their own models on the same `Base` so foreign keys to users and areas just work.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.storage.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Role(StrEnum):
    CITIZEN = "citizen"
    MEMBER = "member"
    LEADER = "leader"
    OFFICIAL = "official"
    ADMIN = "admin"


class AreaLevel(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"
    VILLAGE = "village"


def _enum(enum_type: type[StrEnum]) -> Enum:
    """Store enums as their plain string values (portable, readable in SQL)."""
    return Enum(
        enum_type,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Area(Base):
    """An administrative unit: province/city, commune/ward, village/residential group."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[AreaLevel] = mapped_column(_enum(AreaLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # Population figures, the denominators of the plan's targets (None: not known for this area itself).
    households: Mapped[int | None] = mapped_column(Integer)
    adults: Mapped[int | None] = mapped_column(Integer)

    parent: Mapped[Area | None] = relationship(remote_side=[id])


class Team(Base):
    """A community digital technology team (Tổ công nghệ số cộng đồng) working in one area."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)

    area: Mapped[Area] = relationship()


class User(Base):
    """Someone who talked to the bot on one channel; ids are strings because Zalo's overflow 64-bit ints."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    channel_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    display_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.CITIZEN, server_default=Role.CITIZEN.value)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    subscribed_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    blocked: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_interaction_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area | None] = relationship(foreign_keys=[area_id])
    team: Mapped[Team | None] = relationship()
    subscribed_area: Mapped[Area | None] = relationship(foreign_keys=[subscribed_area_id])


class DialogState(Base):
    """Where a user is in a multi-step dialog, so a restart or another worker can pick it up."""

    __tablename__ = "dialog_states"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64), default="", server_default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    choices: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"values": [...]} last offered choices
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]


class ProcessedMessage(Base):
    """Inbound message ids already handled, so a channel's redelivery is not processed twice."""

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Invite(Base):
    """A single-use, expiring code that makes whoever redeems it a member (or leader) of a team."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    redeemed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    area: Mapped[Area] = relationship()
    team: Mapped[Team] = relationship()


class AuditLog(Base):
    """Who did what privileged thing, when: role grants, invites, visit edits, announcements."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(64), default="", server_default="")
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="", server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class PushState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a delivery loop, committed before the send
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # blocked, or outside the channel's window when its turn came


class PushMessage(Base):
    """A message to a user that is not the reply to their own message: a notification to a team member, a
    reminder, an alert to an operator. Written in the transaction that decided to send it (bot.outbox), sent
    by the delivery loop of `troly serve`: a crash between the decision and the send loses nothing."""

    __tablename__ = "push_outbox"
    __table_args__ = (Index("ix_push_outbox_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # choices, request_location, meta
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    priority: Mapped[int] = mapped_column(SmallInteger, default=1)  # 0 before 1: replies owed before notices
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    state: Mapped[PushState] = mapped_column(_enum(PushState), default=PushState.QUEUED)
    reason: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    worker_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)


class JobRun(Base):
    """When each scheduled job last started, and who holds it now: with several `troly serve` processes on one
    database, a job runs once per period, by whichever process claims it first (bot.jobs)."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    owner: Mapped[str] = mapped_column(String(64), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")


class SendBudgetRow(Base):
    """One channel's send budget, shared by every process that sends on it (bot.sendbudget).

    `next_at` is the earliest moment (seconds since the epoch, on the database's clock) the next message may
    go out; `paused_until` holds a pause the channel asked for (Telegram's 429, Zalo's -32).
    """

    __tablename__ = "send_budget"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[float] = mapped_column(Double, default=0.0)
    paused_until: Mapped[float] = mapped_column(Double, default=0.0)


class SendBudgetChat(Base):
    """The per-chat part of a send budget: when the chat may get its next message (a GCRA arrival time)."""

    __tablename__ = "send_budget_chats"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(Double, index=True)
