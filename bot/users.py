"""Changes to a user's reachability that channels and delivery workers make outside a handler."""

from __future__ import annotations

from sqlalchemy import update

from bot.storage.db import Database
from bot.storage.models import User


def mark_blocked(database: Database, channel: str, channel_user_id: str, *, blocked: bool = True) -> None:
    """Remember that the user blocked the bot (or unfollowed): nothing is sent to them until they write again."""
    with database.transaction() as session:
        session.execute(
            update(User).where(User.channel == channel, User.channel_user_id == channel_user_id).values(blocked=blocked)
        )
