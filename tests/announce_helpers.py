"""Builders for the announcement tests: areas, residents on a channel, officials."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.app import Troly
from bot.areas import area_by_code, import_areas, parse_areas_csv
from bot.settings import DEFAULT_PLUGINS
from bot.storage.models import Role, User
from bot.storage.types import utcnow

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "data" / "areas-sample.csv"
PLUGINS = (*DEFAULT_PLUGINS, "tests.support.loopback_channel")


def import_sample(app: Troly) -> None:
    with app.database.transaction() as session:
        import_areas(session, parse_areas_csv(SAMPLE.read_text(encoding="utf-8")))


def add_residents(
    app: Troly,
    area_code: str | None,
    count: int,
    *,
    channel: str = "loopback",
    prefix: str = "r",
    last_seen: datetime | None = None,
    blocked: bool = False,
) -> list[str]:
    """`count` residents subscribed to `area_code`; returns their chat ids."""
    seen = last_seen or utcnow()
    with app.database.transaction() as session:
        area = area_by_code(session, area_code) if area_code else None
        ids = [f"{prefix}{n}" for n in range(count)]
        for chat in ids:
            session.add(
                User(
                    channel=channel,
                    channel_user_id=chat,
                    chat_id=chat,
                    subscribed_area_id=area.id if area else None,
                    blocked=blocked,
                    last_interaction_at=seen,
                    created_at=seen,
                )
            )
    return ids


def make_official(app: Troly, channel_user_id: str, area_code: str, *, channel: str = "console") -> None:
    with app.database.transaction() as session:
        area = area_by_code(session, area_code)
        assert area is not None
        user = session.scalar(select(User).where(User.channel == channel, User.channel_user_id == channel_user_id))
        if user is None:
            user = User(channel=channel, channel_user_id=channel_user_id, chat_id=channel_user_id, created_at=utcnow())
            session.add(user)
        user.role, user.area_id = Role.OFFICIAL, area.id
