"""Sending to Telegram through PTB's `Bot`, within the bot's shared send budget, with every failure classified.

Limits are per bot, whatever the number of processes: every part asks the channel's `SendBudget`
(bot.sendbudget) for its moment, shared through the database by every `troly serve` and `troly deliver`:
about `settings.telegram_rate` messages/s overall and one per second per chat (bursts of up to three, as a
reply often has two or three parts). Replies go first; `bulk` sends (announcements) take what replies leave.
A 429 pauses the whole bot for its `retry_after` in every process, as PTB's own AIORateLimiter does (Telegram
does not say which limit was hit); replies wait it out and retry, bulk sends get `RATE_LIMITED` back so
their worker can reschedule without holding anything. A process that is stopping sends nothing more: what
had not started is reported `DEFERRED`, to be sent by the next process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.inbound import CHANNEL
from adapters.telegram.render import Part, render
from adapters.telegram.request import AiohttpRequest, UpdatesRequest
from adapters.telegram.unparseable import UnparseableUpdates
from bot.messages import Outbound
from bot.sendbudget import BudgetClosed, Limits, SendBudget
from bot.senders import SendResult, SendStatus
from bot.settings import Settings

log = logging.getLogger(__name__)

RETRYABLE = frozenset({SendStatus.RATE_LIMITED, SendStatus.TRANSIENT})
ATTEMPTS = 3
MAX_WAIT = 60.0  # a reply does not wait out a longer flood pause; it reports RATE_LIMITED instead
TRANSIENT_DELAY = 1.0
# Connections to the Bot API, and sends in flight at once (the excess waits here, not inside the client).
# A send takes its connection before its slot, so a slow API slows sending down instead of bunching it up;
# bulk sends hold at most half of them, so replies always find one.
POOL_SIZE = 16
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def telegram_limits(settings: Settings) -> Limits:
    """TROLY_TELEGRAM_RATE for the bot; one message a second per chat, with bursts of three."""
    return Limits(rate=settings.telegram_rate, chat_rate=1.0, chat_burst=3)


def build_bot(settings: Settings) -> Bot:
    """PTB's Bot on the configured API URL, with a connection pool sized for concurrent replies."""
    api_url = settings.telegram_api_url
    file_url = api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=api_url,
        base_file_url=file_url,
        request=AiohttpRequest(pool_size=POOL_SIZE),
        get_updates_request=UpdatesRequest(UnparseableUpdates(), pool_size=1),
    )


class TelegramSender:
    """The Telegram `Sender` (bot.senders): one PTB Bot, shared with the adapter's PTB Application."""

    channel = CHANNEL

    def __init__(self, bot: Bot, budget: SendBudget) -> None:
        self.bot = bot
        self.budget = budget
        self._in_flight = asyncio.Semaphore(POOL_SIZE)
        self._bulk_in_flight = asyncio.Semaphore(POOL_SIZE // 2)
        self.throttled = 0  # 429 answers received, read by /metrics (bot/metered.py)

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        parts = render(message)
        for index, part in enumerate(parts):
            try:
                result = await self._send_part(chat_id, part, bulk=bulk, may_wait=not bulk or index > 0)
            except BudgetClosed:
                result = SendResult(SendStatus.DEFERRED, detail="the process is stopping")
            if not result.ok:
                if index:
                    return SendResult(result.status, result.retry_after, f"{result.detail} (part {index + 1})")
                return result
        return SendResult(SendStatus.SENT)

    async def aclose(self) -> None:
        await self.budget.aclose()
        await self.bot.shutdown()  # does nothing for a Bot never initialised (only used to send) ...
        await self.bot.request.shutdown()  # ... so close its HTTP session explicitly

    async def _send_part(self, chat_id: str, part: Part, *, bulk: bool, may_wait: bool) -> SendResult:
        """Send one part; a reply (or a later part of anything) waits out 429s and retries network trouble."""
        result = SendResult(SendStatus.TRANSIENT)
        for attempt in range(1, ATTEMPTS + 1):
            async with self._bulk_in_flight if bulk else contextlib.nullcontext(), self._in_flight:
                refused = await self._turn(chat_id, bulk=bulk, may_wait=may_wait)
                if refused is not None:
                    return refused
                result = await self._post_now(chat_id, part)
            if result.status is SendStatus.RATE_LIMITED:
                self.throttled += 1
                await self.budget.pause(result.retry_after or 1.0)
            if result.status not in RETRYABLE or not may_wait or attempt == ATTEMPTS:
                return result
            if result.status is SendStatus.TRANSIENT:
                await asyncio.sleep(TRANSIENT_DELAY * attempt)
        return result

    async def _turn(self, chat_id: str, *, bulk: bool, may_wait: bool) -> SendResult | None:
        """None once this part may go; RATE_LIMITED when it would have to wait out a pause it should not."""
        while True:
            wait = await self.budget.acquire(chat_id, bulk=bulk, max_wait=MAX_WAIT)
            if not wait:
                return None
            if not may_wait or wait > MAX_WAIT:
                return SendResult(SendStatus.RATE_LIMITED, wait, "Telegram asked us to pause (429)")
            await asyncio.sleep(wait)  # a later part of a bulk message waits, so the message is not cut

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
