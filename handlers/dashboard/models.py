"""The console's tables: one-time login links, web sessions, machine tokens, indicators and targets.

Secrets are never stored: a login link, a session cookie and an API token are kept as their SHA-256, so a copy
of the database opens no session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.storage.models import Area, Base, User


class LoginLink(Base):
    """A one-time login link sent by /web or `troly web-login`: valid 10 minutes, used once."""

    __tablename__ = "web_login_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A browser signed in to the console; ended by logout, by the user from another browser, or idle expiry."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_ended", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A machine's bearer token for /api/ (the city's operations centre), limited to one area and below."""

    __tablename__ = "web_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    area: Mapped[Area] = relationship()


class Indicator(Base):
    """A measure of the plan ("Định danh điện tử mức 2"), counted from the visit services mapped to it."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(16), default="adults")  # "adults" or "households"
    service_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=100)
    builtin: Mapped[bool] = mapped_column(default=False)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "basis": self.basis, "services": list(self.service_codes)}


class Target(Base):
    """The plan's target for an area and indicator: a share (percent) of its population by a deadline."""

    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("area_id", "indicator_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    percent: Mapped[float] = mapped_column(Float)
    deadline: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")  # e.g. "Kế hoạch 123/KH-UBND, mục II.2"
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]
