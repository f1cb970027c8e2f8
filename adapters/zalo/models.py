"""The Zalo token pair, kept in the database because Zalo's refresh tokens are single-use.

Losing the newest refresh token (a crash after a refresh, a restart that falls back to the environment)
breaks the chain for good and needs an OA admin to authorise the app again, so the pair lives here. A
refresh first takes a lease on the row (a short transaction), calls Zalo holding no lock, then stores the
new pair with a compare-and-swap on the lease and the refresh token it used (adapters/zalo/tokens.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import utcnow


class ZaloToken(Base):
    """One row per Zalo app: the current access token, the refresh token that renews it, and when."""

    __tablename__ = "zalo_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    # None: unknown (the bootstrap pair from the settings); it is then used until Zalo refuses it.
    expires_at: Mapped[datetime | None]
    # SHA-256 of the settings' refresh token this chain started from: a new pair in the settings restarts it.
    seed_fingerprint: Mapped[str] = mapped_column(String(64))
    refreshed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who is refreshing now, and until when the others wait for them (a process that died lets it lapse).
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]


class ZaloProfile(Base):
    """What Zalo says about one user of the OA (`GET /v3.0/oa/user/detail`, `POST /v3.0/oa/quota/message`).

    Names are fetched for team members, leaders, officials and admins only (reports show them; a citizen's name
    is not needed), refreshed weekly; Zalo's own last-interaction time is fetched when our own figure would
    skip the user (the window counts interactions we never see as messages)."""

    __tablename__ = "zalo_profiles"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the OA-scoped user id (users.channel_user_id)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    is_follower: Mapped[bool | None]
    zalo_last_interaction: Mapped[datetime | None]
    fetched_at: Mapped[datetime | None]  # last successful user/detail
    failures: Mapped[int] = mapped_column(default=0)  # user/detail failures since the last success


class ZaloOaState(Base):
    """The OA's own information (`GET /v2.0/oa/getoa`) and the webhook watch, one row per app."""

    __tablename__ = "zalo_oa_state"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    oa_id: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    is_verified: Mapped[bool | None]
    oa_type: Mapped[str] = mapped_column(String(64), default="")
    package_name: Mapped[str] = mapped_column(String(100), default="")
    followers: Mapped[int | None]
    checked_at: Mapped[datetime | None]  # last successful getoa
    watch_since: Mapped[datetime | None]  # when the webhook watch first ran: silence is counted from here at most


class ZaloReceipt(Base):
    """Delivery states Zalo reported for a message the OA sent (`user_received_message`, `user_seen_message`)."""

    __tablename__ = "zalo_receipts"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime | None]
    seen_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ZaloAdminReply(Base):
    """When an OA admin last wrote to a user from Zalo's own console (`oa_send_*` not sent by troly)."""

    __tablename__ = "zalo_admin_replies"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
