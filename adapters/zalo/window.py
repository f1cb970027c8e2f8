"""Zalo's 7-day window, judged with Zalo's own figure when ours says no.

troly counts every event it receives as an interaction (messages, follows, opening the chat, reactions, the
consent form), but Zalo counts some it never reports to the webhook (a call, a tap on the OA's menu...). So
when our `users.last_interaction_at` says a user is outside the window, the sender asks Zalo
(`POST /v3.0/oa/quota/message` with the user id answers `last_interaction`, in milliseconds) before giving up,
and keeps the later of the two figures in `users.last_interaction_at` (and Zalo's in `zalo_profiles`), so
announcements and `ctx.can_reach` use it from then on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from adapters.zalo.events import CHANNEL
from adapters.zalo.models import ZaloProfile
from bot.storage.db import Database
from bot.storage.models import User

log = logging.getLogger(__name__)


def parse_milliseconds(value: Any) -> datetime | None:
    """Zalo's epoch milliseconds (a string or a number); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        milliseconds = int(value)
    except ValueError:
        return None
    if not 0 < milliseconds < 10**14:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, UTC)


def record_zalo_interaction(database: Database, user_id: str, last: datetime) -> None:
    """Keep Zalo's figure, and move our own forward to it (never backwards)."""
    with database.transaction() as session:
        profile = session.get(ZaloProfile, user_id)
        if profile is None:
            session.add(ZaloProfile(user_id=user_id, zalo_last_interaction=last, failures=0))
        else:
            profile.zalo_last_interaction = last
        ours = session.scalar(
            select(User.last_interaction_at).where(User.channel == CHANNEL, User.channel_user_id == user_id)
        )
        if ours is None or ours < last:
            session.execute(
                update(User)
                .where(User.channel == CHANNEL, User.channel_user_id == user_id)
                .values(last_interaction_at=last)
            )
