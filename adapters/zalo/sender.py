"""Sending to Zalo users through the OA API v3 (`message/cs`), with every answer classified.

Zalo answers HTTP 200 even when it refuses a message, so each body's `error` decides what happens: refresh
the token and retry once, slow down, give up on this user, or simplify the payload once. Before any call the
user's last interaction is checked against Zalo's 7-day window, so a send that must fail is never tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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
from bot.ratelimit import smooth_limiter
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
    return ZaloSender(settings, troly.database, troly.policies.get(CHANNEL) or zalo_policy())


class ZaloSender:
    """The Zalo channel's outgoing side: one HTTP session, a rate limiter, the token manager."""

    channel = CHANNEL

    def __init__(self, settings: Settings, database: Database, policy: ChannelPolicy) -> None:
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
        self.rate_limit_pause = 5.0  # seconds every send waits after Zalo says -32 (it gives no Retry-After)
        self.throttled = 0  # times Zalo said -32, read by /metrics (bot/metered.py)
        self._limiter = smooth_limiter(settings.zalo_rate)
        self._pending_replies = 0
        self._replies_done = asyncio.Condition()
        self._bulk_turn = asyncio.Lock()
        self._resume_at = 0.0

    async def send(
        self, chat_id: str, message: Outbound, *, bulk: bool = False, retry_delays: Sequence[float] = ()
    ) -> SendResult:
        """Send every part of `message`. With `retry_delays`, a part that failed for a reason that may pass
        (rate limit, network) is retried after each delay, so a reply split in parts is never sent twice."""
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
            await self._take_turn(bulk)
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
            self._resume_at = max(self._resume_at, time.monotonic() + self.rate_limit_pause)
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
            await self._take_turn(bulk)
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

    async def _take_turn(self, bulk: bool) -> None:
        """Replies first: bulk sends queue for the limiter one at a time, and only while no reply is waiting."""
        if bulk:
            async with self._bulk_turn:
                async with self._replies_done:
                    await self._replies_done.wait_for(lambda: self._pending_replies == 0)
                await self._wait_pause()
                await self._limiter.acquire()
            return
        self._pending_replies += 1
        try:
            await self._wait_pause()
            await self._limiter.acquire()
        finally:
            self._pending_replies -= 1
            if self._pending_replies == 0:
                async with self._replies_done:
                    self._replies_done.notify_all()

    async def _wait_pause(self) -> None:
        delay = self._resume_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
