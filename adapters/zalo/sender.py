"""Sending to Zalo users through the OA API v3 (`message/cs`), with every answer classified.

Zalo answers HTTP 200 even when it refuses a message, so each body's `error` decides what happens
(adapters/zalo/errors.py): refresh the token and retry once, slow down, give up on this user, simplify the
payload once, alert an operator, or retry an unknown code once and then fail. Before any call the user's
last interaction is checked against Zalo's 7-day window (asking Zalo for its own figure when ours says no,
adapters/zalo/window.py), so a send that must fail is never tried. Anonymous users (`anon:<anonymous id>:
<conversation id>`, adapters/zalo/events.py) are answered through `/v2.0/oa/message`.
Every call to Zalo (sends, uploads, the window's question) takes its turn in the channel's shared send
budget (bot.sendbudget: TROLY_ZALO_RATE for all processes together, replies first); Zalo's "too many calls"
(-32) pauses every process's sends, and a process that stops before a part could go reports DEFERRED.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta

from adapters.zalo import texts
from adapters.zalo.api import Answer, ZaloApi
from adapters.zalo.errors import ATTACHMENT_EXPIRED, TOKEN_ERRORS, Action, classify
from adapters.zalo.events import CHANNEL, anonymous_recipient
from adapters.zalo.render import (
    MAX_IMAGE_BYTES,
    MAX_TEXT,
    Message,
    image_message,
    render,
    without_buttons,
)
from adapters.zalo.tokens import RefreshFailed, TokenManager, TokenStore
from adapters.zalo.uploads import UploadCache
from adapters.zalo.window import WindowCheck
from bot.alerts import Alerts, alerts
from bot.app import Troly
from bot.channels import ChannelPolicy
from bot.messages import Outbound
from bot.privacy import mask_user_id
from bot.sendbudget import BudgetClosed, Limits, SendBudget, budget_for
from bot.senders import SendResult, SendStatus
from bot.settings import Settings
from bot.storage.db import Database
from bot.users import mark_blocked

log = logging.getLogger(__name__)


PUSH_WINDOW = timedelta(days=7)
RETRYABLE = frozenset({SendStatus.TRANSIENT, SendStatus.RATE_LIMITED})
SENT_IDS_KEPT = 20_000
EXPIRED_UPLOAD = f"zalo error {ATTACHMENT_EXPIRED}:"


def zalo_policy() -> ChannelPolicy:
    """2000 characters per message; the OA may message a user only within 7 days of their last interaction.
    `verifies_window`: the sender asks Zalo for its own figure before refusing, so callers should not skip a
    user on our figure alone."""
    return ChannelPolicy(name=CHANNEL, max_text_chars=MAX_TEXT, push_window=PUSH_WINDOW, verifies_window=True)


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
    policy = troly.policies.get(CHANNEL) or zalo_policy()
    return ZaloSender(settings, troly.database, policy, budget, alerts(troly))


class ZaloSender:
    """The Zalo channel's outgoing side: one HTTP session, a rate limiter, the token manager, the uploads."""

    channel = CHANNEL

    def __init__(
        self,
        settings: Settings,
        database: Database,
        policy: ChannelPolicy,
        budget: SendBudget,
        alerter: Alerts | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.policy = policy
        self.alerts = alerter
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
        self.tokens = TokenManager(store, self.api.exchange, on_failure=self._token_failed)
        self.budget = budget
        self.window = WindowCheck(database, policy, self.api, self.tokens, budget)
        self.rate_limit_pause = 5.0  # seconds every send waits after Zalo says -32 (it gives no Retry-After)
        self.unknown_retry_delay = 2.0  # before the one retry of an unknown error code
        # Delays between attempts of a reply's part that Zalo did not take (rate limit, network); bulk sends
        # leave retrying to their worker.
        self.reply_retry_delays: tuple[float, ...] = (1.0, 5.0)
        self.throttled = 0  # times Zalo said -32, read by /metrics (bot/metered.py)
        self.uploads = UploadCache()
        self.sent_ids: OrderedDict[str, None] = OrderedDict()  # what troly sent (oa_send_* echoes them)

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
        allowed = await self.allowed(chat_id, bulk=bulk)
        if not allowed.ok:
            log.info("zalo: not sending to %s: %s", mask_user_id(CHANNEL, chat_id), allowed.detail)
            return allowed
        parts = render(message)
        if message.image is not None:
            image = await self._image_message(message.image, bulk=bulk)
            parts = [image, *parts] if image is not None else parts
        result = allowed
        for number, part in enumerate(parts, start=1):
            result = await self._post_again(chat_id, part, bulk=bulk, retry_delays=retry_delays)
            if (
                message.image is not None
                and number == 1
                and result.detail.startswith(f"zalo error {ATTACHMENT_EXPIRED}:")
            ):
                result = await self._upload_again(chat_id, part, message.image, bulk=bulk)
            if not result.ok:
                detail = f"{result.detail} (part {number}/{len(parts)})" if len(parts) > 1 else result.detail
                return SendResult(result.status, result.retry_after, detail)
        return SendResult(SendStatus.SENT, detail=allowed.detail, message_id=result.message_id)

    async def aclose(self) -> None:
        await self.budget.aclose()
        await self.api.close()

    def sent_by_us(self, message_id: str) -> bool:
        return message_id in self.sent_ids

    async def allowed(self, chat_id: str, *, bulk: bool = False) -> SendResult:
        """Our own verdict on the window, then Zalo's when ours says the user is outside it."""
        return await self.window.allowed(chat_id, bulk=bulk)

    async def _post_again(
        self, chat_id: str, part: Message, *, bulk: bool, retry_delays: Sequence[float]
    ) -> SendResult:
        result = await self._post(chat_id, part, bulk=bulk)
        for delay in retry_delays:
            if result.status not in RETRYABLE:
                break
            await asyncio.sleep(delay)
            result = await self._post(chat_id, part, bulk=bulk)
        return result

    async def _post(self, chat_id: str, message: Message, *, bulk: bool) -> SendResult:
        refreshed = simplified = retried = False
        while True:
            wait = await self.budget.acquire(chat_id, bulk=bulk)
            if wait:
                return SendResult(SendStatus.RATE_LIMITED, retry_after=wait, detail="Zalo asked us to slow down")
            try:
                token = await self.tokens.access_token()
            except RefreshFailed as error:
                return SendResult(SendStatus.TRANSIENT, retry_after=60.0, detail=f"no Zalo access token: {error}")
            code, reason, data = await self._call_send(token, chat_id, message)
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
            if (
                meaning.action is Action.FIX
                and "attachment" in message
                and code != ATTACHMENT_EXPIRED
                and not simplified
            ):
                log.warning("zalo refused a message with buttons (%s); sending it as plain text", detail)
                message, simplified = without_buttons(message), True
                continue
            if meaning.action is Action.RETRY_ONCE and not retried:
                retried = True
                log.warning("zalo: %s; trying once more", detail)
                await asyncio.sleep(self.unknown_retry_delay)
                continue
            if meaning.action is Action.RETRY_ONCE:
                return SendResult(SendStatus.INVALID, detail=f"{detail}; failed again after one retry")
            if code == 0:
                return self._sent(str(data.get("message_id") or ""))
            return await self._conclude(
                chat_id, code, meaning.action, SendResult(meaning.status, meaning.retry_after, detail)
            )

    async def _call_send(self, token: str, chat_id: str, message: Message) -> Answer:
        anonymous = anonymous_recipient(chat_id)
        if anonymous is not None:
            return await self.api.send_anonymous(token, *anonymous, message)
        return await self.api.send_message(token, {"recipient": {"user_id": chat_id}, "message": message})

    def _sent(self, message_id: str) -> SendResult:
        if message_id:
            self.sent_ids[message_id] = None
            if len(self.sent_ids) > SENT_IDS_KEPT:
                self.sent_ids.popitem(last=False)
        return SendResult(SendStatus.SENT, message_id=message_id)

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
            await self._alert(f"zalo.configure{code}", texts.needs_configuration(code, result.detail), {"code": code})
        elif action in (Action.FIX, Action.REFUSED):
            log.error("zalo refused our message to %s: %s", who, result.detail)
        elif not result.ok:
            log.info("zalo: send to %s failed: %s", who, result.detail)
        return result

    async def _upload_again(self, chat_id: str, part: Message, png: bytes, *, bulk: bool) -> SendResult:
        """Zalo forgot the upload sooner than expected (-100): upload the image once more and resend it."""
        self.uploads.forget(str(part["attachment"]["payload"]["elements"][0]["attachment_id"]))
        fresh = await self._image_message(png, bulk=bulk)
        if fresh is None:
            return SendResult(SendStatus.INVALID, detail="the image could not be uploaded again")
        return await self._post(chat_id, fresh, bulk=bulk)

    async def _image_message(self, png: bytes, *, bulk: bool) -> Message | None:
        """The uploaded image (uploaded once per content, refreshing the token once if needed); None, logged,
        when Zalo will not take it."""
        if len(png) > MAX_IMAGE_BYTES:
            log.warning("zalo: image of %d bytes is over Zalo's 1 MB limit; sending the text only", len(png))
            return None
        known = self.uploads.get(png)
        if known is not None:
            return image_message(known)
        for attempt in (1, 2):
            if await self.budget.acquire(None, bulk=bulk):
                return None  # paused: the text goes alone
            try:
                token = await self.tokens.access_token()
            except RefreshFailed:
                return None
            code, reason, data = await self.api.upload_image(token, png)
            if code == 0 and data.get("attachment_id"):
                self.uploads.put(png, str(data["attachment_id"]))
                return image_message(str(data["attachment_id"]))
            if attempt == 1 and code in TOKEN_ERRORS:
                try:
                    await self.tokens.refresh(token)
                except RefreshFailed:
                    return None
                continue
            log.warning("zalo: image upload failed (error %s: %s); sending the text only", code, reason)
            return None
        return None

    def _token_failed(self, reason: str) -> None:
        """Called (in a thread) when a refresh failed: the operators must act, Zalo replies have stopped."""
        if self.alerts is not None:
            self.alerts.raise_alert(
                "zalo.token_refresh_failed", texts.token_refresh_failed(reason), {"reason": reason[:300]}
            )

    async def _alert(self, key: str, text: str, details: dict[str, object]) -> None:
        if self.alerts is not None:
            await asyncio.to_thread(self.alerts.raise_alert, key, text, dict(details))
