"""Help requests, their timeline, who is talking to whom through the bot, and the last unanswered question.

Modelled on what help desks keep (RapidPro's tickets: status, assignee, an event timeline; Chatwoot's
conversations: assignment, a 1–5 satisfaction rating with a comment), cut down to the least personal data: the
request text is masked like visit notes, messages relayed between citizen and member are not stored, and a
phone number is erased `helpdesk_phone_days` after the request closes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models import Area, Base, Team, User


class Status(StrEnum):
    OPEN = "open"  # waiting in the queue of the area's teams
    TAKEN = "taken"  # a member took it
    CLOSED = "closed"


class HelpRequest(Base):
    """One citizen's request for a person. `visit_id` names a visit of the visits feature (no foreign key: the
    help desk works without it)."""

    __tablename__ = "help_requests"
    __table_args__ = (
        Index("ix_help_requests_status_queued", "status", "queued_at"),
        Index("ix_help_requests_citizen_status", "citizen_id", "status"),
        Index("ix_help_requests_assignee_status", "assignee_id", "status"),
        Index("ix_help_requests_area_created", "area_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))  # the team of whoever took it
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=Status.OPEN.value)
    need: Mapped[str] = mapped_column(Text)  # masked
    service_code: Mapped[str] = mapped_column(String(16), default="")
    origin: Mapped[str] = mapped_column(String(16), default="command")  # command, words, offer
    phone: Mapped[str | None] = mapped_column(String(16))
    wants_visit: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[float | None] = mapped_column(Float)  # a location the citizen sent about the request
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime]  # when it (last) entered the queue: escalation counts from here
    first_taken_at: Mapped[datetime | None]
    taken_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str] = mapped_column(String(32), default="")
    escalation: Mapped[int] = mapped_column(SmallInteger, default=0)  # 1: leaders told, 2: officials told
    escalated_at: Mapped[datetime | None]
    appointment_at: Mapped[datetime | None]
    appointment_state: Mapped[str] = mapped_column(String(16), default="")  # proposed, confirmed
    reminded_at: Mapped[datetime | None]
    visit_id: Mapped[int | None]
    offered_visit_id: Mapped[int | None]
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None]
    reopened: Mapped[int] = mapped_column(SmallInteger, default=0)
    handovers: Mapped[int] = mapped_column(SmallInteger, default=0)
    phone_erased_at: Mapped[datetime | None]

    citizen: Mapped[User] = relationship(foreign_keys=[citizen_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    area: Mapped[Area] = relationship()
    team: Mapped[Team | None] = relationship()


class HelpEvent(Base):
    """The request's timeline (opened, claimed, handed back, escalated, message, closed, reopened, rated...),
    without message contents."""

    __tablename__ = "help_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Mode(StrEnum):
    TALK = "talk"  # a citizen: their free text goes to the member who took the request
    REPLY = "reply"  # a member: their free text goes to the citizen


class HelpMode(Base):
    """Who is talking through the bot about which request (bot.router.Router.mode): one mode per user."""

    __tablename__ = "helpdesk_modes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("help_requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime]


class HelpDraft(Base):
    """The last question a user got no sure answer to (masked), to pre-fill "what do you need"; kept a day."""

    __tablename__ = "helpdesk_drafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)
