"""Sending to Telegram through PTB's `Bot`, rate-limited, with every failure classified for the caller.

Limits: about `settings.telegram_rate` messages/s overall and one per second per chat (bursts of up to
three, as a reply often has two or three parts), both with aiolimiter. Replies to users go first: `bulk`
sends (announcements) queue for the overall limiter one at a time, and only while no reply is waiting.
A 429 pauses that chat for its `retry_after`; replies wait it out and retry, bulk sends get `RATE_LIMITED`
back so their worker can reschedule without holding anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import OrderedDict
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.inbound import CHANNEL
from adapters.telegram.render import Part, render
from adapters.telegram.request import AiohttpRequest
from bot.messages import Outbound
from bot.ratelimit import smooth_limiter
from bot.senders import SendResult, SendStatus
from bot.settings import Settings

log = logging.getLogger(__name__)

RETRYABLE = frozenset({SendStatus.RATE_LIMITED, SendStatus.TRANSIENT})
ATTEMPTS = 3
MAX_WAIT = 60.0  # a reply does not wait out a longer flood pause; it reports RATE_LIMITED instead
TRANSIENT_DELAY = 1.0
MAX_CHAT_LIMITERS = 20_000
# Connections to the Bot API, and sends in flight at once (the excess waits here, not inside the client).
POOL_SIZE = 16
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def build_bot(settings: Settings) -> Bot:
    """PTB's Bot on the configured API URL, with a connection pool sized for concurrent replies."""
    api_url = settings.telegram_api_url
    file_url = api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=api_url,
        base_file_url=file_url,
        request=AiohttpRequest(pool_size=POOL_SIZE),
        get_updates_request=AiohttpRequest(pool_size=1),
    )


class TelegramSender:
    """The Telegram `Sender` (bot.senders): one PTB Bot, shared with the adapter's PTB Application."""

    channel = CHANNEL

    def __init__(self, bot: Bot, *, rate: float, per_chat_rate: float = 1.0, per_chat_burst: int = 3) -> None:
        self.bot = bot
        self._overall = smooth_limiter(rate)
        self._per_chat_rate, self._per_chat_burst = per_chat_rate, per_chat_burst
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()
        self._paused_until: dict[str, float] = {}
        self._replies_waiting = 0
        self._replies_idle = asyncio.Event()
        self._replies_idle.set()
        self._bulk_turn = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(POOL_SIZE)
        self.throttled = 0  # 429 answers received, read by /metrics (bot/metered.py)

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        parts = render(message)
        for index, part in enumerate(parts):
            result = await self._send_part(chat_id, part, bulk=bulk, may_wait=not bulk or index > 0)
            if not result.ok:
                if index:
                    return SendResult(result.status, result.retry_after, f"{result.detail} (part {index + 1})")
                return result
        return SendResult(SendStatus.SENT)

    async def aclose(self) -> None:
        await self.bot.shutdown()  # does nothing for a Bot never initialised (only used to send) ...
        await self.bot.request.shutdown()  # ... so close its HTTP session explicitly

    async def _send_part(self, chat_id: str, part: Part, *, bulk: bool, may_wait: bool) -> SendResult:
        """Send one part; a reply (or a later part of anything) waits out 429s and retries network trouble."""
        result = SendResult(SendStatus.TRANSIENT)
        for attempt in range(1, ATTEMPTS + 1):
            pause = self._pause_left(chat_id)
            if pause and (not may_wait or pause > MAX_WAIT):
                return SendResult(SendStatus.RATE_LIMITED, pause, "chat paused after a 429")
            await asyncio.sleep(pause)
            await self._wait_turn(chat_id, bulk)
            result = await self._post(chat_id, part)
            if result.status is SendStatus.RATE_LIMITED:
                self.throttled += 1
                self._paused_until[chat_id] = time.monotonic() + (result.retry_after or 1.0)
            if result.status not in RETRYABLE or not may_wait or attempt == ATTEMPTS:
                return result
            if result.status is SendStatus.TRANSIENT:
                await asyncio.sleep(TRANSIENT_DELAY * attempt)
        return result

    async def _wait_turn(self, chat_id: str, bulk: bool) -> None:
        await self._chat_limiter(chat_id).acquire()
        if bulk:  # one bulk send at a time queues for the overall limiter, and only while no reply waits
            async with self._bulk_turn:
                await self._replies_idle.wait()
                await self._overall.acquire()
            return
        self._replies_waiting += 1
        self._replies_idle.clear()
        try:
            await self._overall.acquire()
        finally:
            self._replies_waiting -= 1
            if not self._replies_waiting:
                self._replies_idle.set()

    async def _post(self, chat_id: str, part: Part) -> SendResult:
        async with self._in_flight:
            return await self._post_now(chat_id, part)

    async def _post_now(self, chat_id: str, part: Part) -> SendResult:
        try:
            if part.photo is not None:
                await self.bot.send_photo(
                    chat_id, part.photo, caption=part.text or None, parse_mode=ParseMode.HTML, reply_markup=part.markup
                )
            else:
                await self.bot.send_message(
                    chat_id, part.text, parse_mode=ParseMode.HTML, reply_markup=part.markup,
                    link_preview_options=NO_PREVIEW,
                )  # fmt: skip
        except TelegramError as error:
            return classify(error)
        return SendResult(SendStatus.SENT)

    def _chat_limiter(self, chat_id: str) -> AsyncLimiter:
        """Per-chat limiters, least recently used dropped first (an idle limiter has nothing left to enforce)."""
        limiter = self._chats.get(chat_id)
        if limiter is None:
            period = self._per_chat_burst / self._per_chat_rate
            limiter = self._chats[chat_id] = AsyncLimiter(self._per_chat_burst, period)
            if len(self._chats) > MAX_CHAT_LIMITERS:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return limiter

    def _pause_left(self, chat_id: str) -> float:
        until = self._paused_until.get(chat_id)
        if until is None:
            return 0.0
        left = until - time.monotonic()
        if left <= 0:
            del self._paused_until[chat_id]
            return 0.0
        return left


def classify(error: TelegramError) -> SendResult:
    """Map PTB's exceptions onto the channel-neutral statuses (order matters: BadRequest is a NetworkError)."""
    detail = "Telegram refused the token" if isinstance(error, InvalidToken) else str(error)[:200]  # never the token
    if isinstance(error, Forbidden):
        return SendResult(SendStatus.BLOCKED, detail=detail)
    if isinstance(error, RetryAfter):
        return SendResult(SendStatus.RATE_LIMITED, retry_after=retry_seconds(error), detail=detail)
    if isinstance(error, BadRequest | ChatMigrated | InvalidToken):
        return SendResult(SendStatus.INVALID, detail=detail)
    if isinstance(error, NetworkError):  # includes TimedOut
        return SendResult(SendStatus.TRANSIENT, detail=detail)
    return SendResult(SendStatus.TRANSIENT, detail=detail)


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` is an int or a timedelta depending on PTB_TIMEDELTA; accept both, quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
