"""Announcements, their outbox (one row per recipient) and the heartbeats of delivery workers.

The outbox is the source of truth for delivery: a row's state says what happened to one recipient, so a
restarted worker, a second worker, or the status report all read the same facts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models import Area, Base, _enum
from bot.storage.types import utcnow


class Target(StrEnum):
    SUBSCRIBERS = "subscribers"  # residents subscribed to the area or any of its sub-areas
    TEAM = "team"  # members and leaders of the community teams of the area and its sub-areas


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker, committed before the send: the "in flight" marker
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Announcement(Base):
    """What an official (or the CLI) asked to send, to whom, from when."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    target: Mapped[Target] = mapped_column(_enum(Target))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_label: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship()


class OutboxItem(Base):
    """One recipient of one announcement, and where its delivery stands."""

    __tablename__ = "announcement_outbox"
    __table_args__ = (
        UniqueConstraint("announcement_id", "user_id"),
        Index("ix_announcement_outbox_due", "state", "channel", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState), default=OutboxState.QUEUED)
    reason: Mapped[str] = mapped_column(String(200), default="")
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    worker_id: Mapped[str] = mapped_column(String(64), default="")
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Set when a worker died while this row was "sending": the recipient may get the text twice.
    uncertain: Mapped[bool] = mapped_column(default=False)
    # The channel's id of the message sent (SendResult.message_id), for delivered/seen reports.
    channel_message_id: Mapped[str] = mapped_column(String(64), default="", server_default="")


class DeliveryWorker(Base):
    """A running delivery worker; a stale heartbeat means its "sending" rows can be taken over."""

    __tablename__ = "delivery_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
