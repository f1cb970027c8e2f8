"""Zalo's 7-day window, judged with Zalo's own figure when ours says no.

troly counts every event it receives as an interaction (messages, follows, opening the chat, reactions, the
consent form), but Zalo counts some it never reports to the webhook (a call, a tap on the OA's menu...). So
when our `users.last_interaction_at` says a user is outside the window, the sender asks Zalo
(`POST /v3.0/oa/quota/message` with the user id answers `last_interaction`, in milliseconds) before giving up,
and keeps the later of the two figures in `users.last_interaction_at` (and Zalo's in `zalo_profiles`), so
announcements and `ctx.can_reach` use it from then on. That question is a call to Zalo like a send: it takes
its turn in the channel's send budget (bot.sendbudget), and when Zalo has asked every process to pause, our
own verdict stands.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from adapters.zalo.api import ZaloApi
from adapters.zalo.events import CHANNEL, anonymous_recipient
from adapters.zalo.models import ZaloProfile
from adapters.zalo.tokens import RefreshFailed, TokenManager
from bot.channels import ChannelPolicy
from bot.privacy import mask_user_id
from bot.sendbudget import SendBudget
from bot.senders import OUTSIDE_WINDOW, SendResult, SendStatus
from bot.storage.db import Database
from bot.storage.models import User
from bot.storage.types import utcnow

log = logging.getLogger(__name__)

FREE_WINDOW = timedelta(hours=48)
PAID_WINDOW_NOTE = "sent after Zalo's free 48 hours: it may count against the OA's paid message quota"


class WindowCheck:
    """Whether a message may be sent to a user now: blocked, never seen, outside the window (ours, then
    Zalo's), or allowed with a note when it falls after Zalo's free 48 hours."""

    def __init__(
        self, database: Database, policy: ChannelPolicy, api: ZaloApi, tokens: TokenManager, budget: SendBudget
    ) -> None:
        self.database = database
        self.policy = policy
        self.api = api
        self.tokens = tokens
        self.budget = budget

    async def allowed(self, chat_id: str, *, bulk: bool = False) -> SendResult:
        """Our own verdict on the window, then Zalo's when ours says the user is outside it. BudgetClosed
        (bot.sendbudget) when the process stops while waiting for its turn to ask."""
        if anonymous_recipient(chat_id) is not None:
            return SendResult(SendStatus.SENT)  # an anonymous chat is answered while it is open
        now = utcnow()
        allowed = await asyncio.to_thread(self._allowed, chat_id, now)
        if allowed.status is SendStatus.UNREACHABLE and allowed.detail == OUTSIDE_WINDOW:
            last = await self._zalo_last_interaction(chat_id, bulk=bulk)
            if last is not None and self.policy.can_push(last, now):
                log.info("zalo: %s is inside Zalo's own window (last %s)", mask_user_id(CHANNEL, chat_id), last)
                return SendResult(SendStatus.SENT, detail=PAID_WINDOW_NOTE if now - last >= FREE_WINDOW else "")
        return allowed

    def _allowed(self, chat_id: str, now: datetime) -> SendResult:
        """Why a message to this user must fail now (never seen, blocked, outside the window), or SENT with a
        note when the message falls outside Zalo's free 48 hours (it may then use the OA's paid quota)."""
        with self.database.sessions() as session:
            user = session.scalar(select(User).where(User.channel == CHANNEL, User.channel_user_id == chat_id))
        if user is None:
            return SendResult(SendStatus.UNREACHABLE, detail="user never wrote to the Official Account")
        if user.blocked:
            return SendResult(SendStatus.BLOCKED, detail="user unfollowed or blocked the Official Account")
        if not self.policy.can_push(user.last_interaction_at, now):
            return SendResult(SendStatus.UNREACHABLE, detail=OUTSIDE_WINDOW)
        if user.last_interaction_at is not None and now - user.last_interaction_at >= FREE_WINDOW:
            return SendResult(SendStatus.SENT, detail=PAID_WINDOW_NOTE)
        return SendResult(SendStatus.SENT)

    async def _zalo_last_interaction(self, user_id: str, *, bulk: bool) -> datetime | None:
        """Zalo's own last-interaction time for this user (kept in the database), or None if it will not say
        (or asked every process to pause)."""
        if await self.budget.acquire(None, bulk=bulk):  # a call to Zalo, not a message to the chat
            return None
        try:
            token = await self.tokens.access_token()
        except RefreshFailed:
            return None
        code, reason, data = await self.api.user_quota(token, user_id)
        last = parse_milliseconds(data.get("last_interaction")) if code == 0 else None
        if last is None:
            log.info("zalo: no last interaction from Zalo for %s (%s %s)", mask_user_id(CHANNEL, user_id), code, reason)
            return None
        await asyncio.to_thread(record_zalo_interaction, self.database, user_id, last)
        return last


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
