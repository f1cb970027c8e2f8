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
