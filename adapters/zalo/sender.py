"""Sending to Zalo users through the OA API v3 (`message/cs`), with every answer classified.

Zalo answers HTTP 200 even when it refuses a message, so each body's `error` decides what happens: refresh
the token and retry once, slow down, give up on this user, or simplify the payload once. Before any call the
user's last interaction is checked against Zalo's 7-day window, so a send that must fail is never tried.
Every call takes its turn in the channel's shared send budget (bot.sendbudget: TROLY_ZALO_RATE for all
processes together, replies first); Zalo's "too many calls" (-32) pauses every process's sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from adapters.zalo.api import ZaloApi
from adapters.zalo.errors import TOKEN_ERRORS, Action, classify
from adapters.zalo.events import CHANNEL
from adapters.zalo.render import MAX_IMAGE_BYTES, MAX_TEXT, Message, image_message, render, without_buttons
from adapters.zalo.tokens import RefreshFailed, TokenManager, TokenStore
from bot.app import Troly
from bot.channels import ChannelPolicy
from bot.messages import Outbound
from bot.privacy import mask_user_id
from bot.sendbudget import BudgetClosed, Limits, SendBudget, budget_for
from bot.senders import SendResult, SendStatus
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import User
from bot.storage.types import utcnow
from bot.users import mark_blocked

log = logging.getLogger(__name__)


PUSH_WINDOW = timedelta(days=7)
FREE_WINDOW = timedelta(hours=48)
RETRYABLE = frozenset({SendStatus.TRANSIENT, SendStatus.RATE_LIMITED})
PAID_WINDOW_NOTE = "sent after Zalo's free 48 hours: it may count against the OA's paid message quota"


def zalo_policy() -> ChannelPolicy:
    """2000 characters per message; the OA may message a user only within 7 days of their last interaction."""
    return ChannelPolicy(name=CHANNEL, max_text_chars=MAX_TEXT, push_window=PUSH_WINDOW)


def sender_for(troly: Troly) -> ZaloSender | None:
    """The sender, or None until the app id, app secret and a first token pair are configured."""
    settings = troly.settings
    required = (
        settings.zalo_app_id,
        settings.zalo_app_secret.get_secret_value(),
        settings.zalo_access_token.get_secret_value(),
        settings.zalo_refresh_token.get_secret_value(),
    )
    if not all(required):
        return None
    budget = budget_for(troly, CHANNEL, Limits(rate=settings.zalo_rate))
    return ZaloSender(settings, troly.database, troly.policies.get(CHANNEL) or zalo_policy(), budget)


class ZaloSender:
    """The Zalo channel's outgoing side: one HTTP session, a rate limiter, the token manager."""

    channel = CHANNEL

    def __init__(self, settings: Settings, database: Database, policy: ChannelPolicy, budget: SendBudget) -> None:
        self.settings = settings
        self.database = database
        self.policy = policy
        self.api = ZaloApi(
            settings.zalo_api_url,
            settings.zalo_oauth_url,
            settings.zalo_app_id,
            settings.zalo_app_secret.get_secret_value(),
        )
        store = TokenStore(
            database,
            settings.zalo_app_id,
            settings.zalo_access_token.get_secret_value(),
            settings.zalo_refresh_token.get_secret_value(),
        )
        self.tokens = TokenManager(store, self.api.exchange)
        self.budget = budget
        self.rate_limit_pause = 5.0  # seconds every send waits after Zalo says -32 (it gives no Retry-After)
        # Delays between attempts of a reply's part that Zalo did not take (rate limit, network); bulk sends
        # leave retrying to their worker.
        self.reply_retry_delays: tuple[float, ...] = (1.0, 5.0)
        self.throttled = 0  # times Zalo said -32, read by /metrics (bot/metered.py)

    async def send(
        self, chat_id: str, message: Outbound, *, bulk: bool = False, retry_delays: Sequence[float] | None = None
    ) -> SendResult:
        """Send every part of `message`. A part that failed for a reason that may pass (rate limit, network) is
        retried after each of `retry_delays` (for replies, `reply_retry_delays` unless given), so a reply split
        in parts is never sent twice. DEFERRED when this process stops before a part could go."""
        if retry_delays is None:
            retry_delays = () if bulk else self.reply_retry_delays
        try:
            return await self._send(chat_id, message, bulk=bulk, retry_delays=retry_delays)
        except BudgetClosed:
            return SendResult(SendStatus.DEFERRED, detail="the process is stopping")

    async def _send(self, chat_id: str, message: Outbound, *, bulk: bool, retry_delays: Sequence[float]) -> SendResult:
        allowed = await asyncio.to_thread(self._allowed, chat_id, utcnow())
        if not allowed.ok:
            log.info("zalo: not sending to %s: %s", mask_user_id(CHANNEL, chat_id), allowed.detail)
            return allowed
        parts = render(message)
        if message.image is not None:
            image = await self._image_message(message.image, bulk=bulk)
            parts = [image, *parts] if image is not None else parts
        for number, part in enumerate(parts, start=1):
            result = await self._post(chat_id, part, bulk=bulk)
            for delay in retry_delays:
                if result.status not in RETRYABLE:
                    break
                await asyncio.sleep(delay)
                result = await self._post(chat_id, part, bulk=bulk)
            if not result.ok:
                detail = f"{result.detail} (part {number}/{len(parts)})" if len(parts) > 1 else result.detail
                return SendResult(result.status, result.retry_after, detail)
        return allowed

    async def aclose(self) -> None:
        await self.budget.aclose()
        await self.api.close()

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
            last = user.last_interaction_at.isoformat(timespec="minutes") if user.last_interaction_at else "never"
            return SendResult(
                SendStatus.UNREACHABLE,
                detail=f"outside Zalo's 7-day window (last interaction {last}): Zalo refuses consultation messages",
            )
        if user.last_interaction_at is not None and now - user.last_interaction_at >= FREE_WINDOW:
            return SendResult(SendStatus.SENT, detail=PAID_WINDOW_NOTE)
        return SendResult(SendStatus.SENT)

    async def _post(self, chat_id: str, message: Message, *, bulk: bool) -> SendResult:
        refreshed = simplified = False
        while True:
            wait = await self.budget.acquire(chat_id, bulk=bulk)
            if wait:
                return SendResult(SendStatus.RATE_LIMITED, retry_after=wait, detail="Zalo asked us to slow down")
            try:
                token = await self.tokens.access_token()
            except RefreshFailed as error:
                return SendResult(SendStatus.TRANSIENT, retry_after=60.0, detail=f"no Zalo access token: {error}")
            body = {"recipient": {"user_id": chat_id}, "message": message}
            code, reason, _data = await self.api.send_message(token, body)
            if code is None:
                return SendResult(SendStatus.TRANSIENT, retry_after=5.0, detail=reason)
            meaning = classify(code)
            detail = f"zalo error {code}: {meaning.reason} ({reason})" if code else ""
            if meaning.action is Action.REFRESH and not refreshed:
                refreshed = True
                try:
                    await self.tokens.refresh(token)
                except RefreshFailed as error:
                    return SendResult(
                        SendStatus.TRANSIENT, retry_after=60.0, detail=f"{detail}; refresh failed: {error}"
                    )
                continue
            if meaning.action is Action.FIX and "attachment" in message and not simplified:
                log.warning("zalo refused a message with buttons (%s); sending it as plain text", detail)
                message, simplified = without_buttons(message), True
                continue
            return await self._conclude(
                chat_id, code, meaning.action, SendResult(meaning.status, meaning.retry_after, detail)
            )

    async def _conclude(self, chat_id: str, code: int, action: Action, result: SendResult) -> SendResult:
        who = mask_user_id(CHANNEL, chat_id)
        if action is Action.BLOCKED:
            await asyncio.to_thread(mark_blocked, self.database, CHANNEL, chat_id)
            log.info("zalo: %s marked blocked (%s)", who, result.detail)
        elif action is Action.BACK_OFF and code == -32:
            self.throttled += 1
            await self.budget.pause(self.rate_limit_pause)
            log.warning("zalo: rate limited; pausing sends for %.1f s", self.rate_limit_pause)
        elif action is Action.CONFIGURE:
            log.error("zalo: the Official Account or app needs an admin: %s", result.detail)
        elif action is Action.FIX:
            log.error("zalo refused our payload for %s: %s", who, result.detail)
        elif not result.ok:
            log.info("zalo: send to %s failed: %s", who, result.detail)
        return result

    async def _image_message(self, png: bytes, *, bulk: bool) -> Message | None:
        """Upload the image (refreshing the token once if needed); None, logged, when Zalo will not take it."""
        if len(png) > MAX_IMAGE_BYTES:
            log.warning("zalo: image of %d bytes is over Zalo's 1 MB limit; sending the text only", len(png))
            return None
        for attempt in (1, 2):
            if await self.budget.acquire(None, bulk=bulk):
                return None  # paused: the text goes alone
            try:
                token = await self.tokens.access_token()
            except RefreshFailed:
                return None
            code, reason, data = await self.api.upload_image(token, png)
            if code == 0 and data.get("attachment_id"):
                return image_message(str(data["attachment_id"]))
            if attempt == 1 and code in TOKEN_ERRORS:
                with contextlib.suppress(RefreshFailed):
                    await self.tokens.refresh(token)
                    continue
            log.warning("zalo: image upload failed (error %s: %s); sending the text only", code, reason)
            return None
        return None
