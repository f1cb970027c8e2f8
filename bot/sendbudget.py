"""One send budget per channel, shared by every process and machine that sends on it.

Telegram bans bots that go over its limits, and those limits are per bot, not per process: two `troly
deliver` workers with a limiter each sent twice the limit. So a sender asks its channel's `SendBudget` before
every message. The budget lives in the database (bot.storage.budget): the processes waiting to send in this
process are gathered and asked for in one transaction (a small batch: the next transaction starts as soon as
the last one ends, so under load each claims many slots at once and costs little per message), and each gets
a moment on a shared timeline at which it may send, at most one every `spacing` seconds for the channel and
within the chat's own allowance. Replies go first: their asks come first in every batch, and bulk sends take
only slots close at hand, so a queue of replies in any process holds every process's announcements back.

A slot is used at its moment or not at all: a sender that wakes up more than `MAX_LATE` after its slot (a
busy event loop) asks again, so late sends never bunch up with later slots. With `SAFETY` as margin, every
one-second window then stays within the rate even though sends leave a little after their slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.services import ServiceKey
from bot.storage import budget as store
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.app import Troly

log = logging.getLogger(__name__)

SAFETY = 0.06  # slots are (1 + SAFETY) / rate apart: about 94 % of the rate, leaving room for late sends
MAX_LATE = 0.02  # seconds after its slot a send may still leave; later, it asks for a new slot
MAX_BATCH = 64  # asks per transaction
BULK_CHAT_WAIT = 3.0  # a bulk send waits this long for its chat; longer, the caller reschedules it
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)  # between claims while the database does not answer
PRUNE_EVERY = 2000  # claims between deletions of per-chat rows that no longer matter
MAX_LEAD = 0.25  # seconds: the most a slot is placed ahead to cover the claim's own round trip


class BudgetClosed(Exception):
    """The process is stopping: no more slots. Nothing of the message was sent for want of one."""


@dataclass(frozen=True, slots=True)
class Limits:
    """`rate` messages per second for the channel; per chat, a burst of `chat_burst`, then `chat_rate` a second."""

    rate: float
    chat_rate: float | None = None
    chat_burst: int = 1

    def rules(self) -> store.Rules:
        chat_interval = 1.0 / self.chat_rate if self.chat_rate else None
        return store.Rules(spacing=(1.0 + SAFETY) / self.rate, chat_interval=chat_interval, chat_burst=self.chat_burst)


@dataclass(slots=True)
class _Waiting:
    ask: store.Ask
    future: asyncio.Future[tuple[float, store.Refusal | None]] = field(repr=False)


class SendBudget:
    """This process's end of a channel's shared budget (see the module docstring). Use it from one event loop."""

    def __init__(self, database: Database, channel: str, limits: Limits) -> None:
        self.database = database
        self.channel = channel
        self.limits = limits
        self.rules = limits.rules()
        self._replies: deque[_Waiting] = deque()
        self._bulk: deque[_Waiting] = deque()
        self._wakeup: asyncio.Event | None = None
        self._closed: asyncio.Event | None = None
        self._claimer: asyncio.Task[None] | None = None
        self._claims = 0
        self._round_trip = 0.002  # seconds from the database clock reading to the answer reaching this loop

    async def acquire(self, chat_id: str | None, *, bulk: bool = False, max_wait: float = 60.0) -> float:
        """Wait until this process may send one message to `chat_id`; 0.0 then.

        Otherwise the seconds after which to try again, without waiting: when a pause (or, for bulk, any pause,
        or a chat's wait over `BULK_CHAT_WAIT`) is longer than the caller would wait. BudgetClosed once the
        process is stopping.
        """
        loop = asyncio.get_running_loop()
        ask = store.Ask(chat_id, bulk)
        while True:
            delay, refusal = await self._ask(ask)
            moment = loop.time() + delay
            if refusal is None:
                await self._sleep(delay)
                if loop.time() - moment <= MAX_LATE:
                    return 0.0
                # Woke up too late for the slot (a busy event loop): it goes unused, and a new one is asked
                # for. The chat's share was taken for this message already, so only the channel is asked.
                ask = store.Ask(None, bulk)
                continue
            if delay > max_wait or (bulk and _bulk_gives_up(refusal, delay)):
                return delay
            await self._sleep(delay)

    async def pause(self, seconds: float, chat_id: str | None = None) -> None:
        """The channel (or one chat) asked us to wait: no process sends there for `seconds`."""
        try:
            await asyncio.to_thread(store.pause, self.database, self.channel, seconds, self.rules, chat_id)
        except Exception as error:
            log.warning("%s send budget: could not record a pause of %.1f s: %s", self.channel, seconds, error)

    def close(self) -> None:
        """Stop handing out slots: every waiting `acquire` raises BudgetClosed, and so does every later one."""
        if self._closed is None:
            self._closed = asyncio.Event()
        self._closed.set()
        for waiting in (*self._replies, *self._bulk):
            if not waiting.future.done():
                waiting.future.set_exception(BudgetClosed())
        self._replies.clear()
        self._bulk.clear()
        if self._wakeup is not None:
            self._wakeup.set()

    @property
    def closed(self) -> bool:
        return self._closed is not None and self._closed.is_set()

    async def aclose(self) -> None:
        self.close()
        if self._claimer is not None:
            self._claimer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._claimer
            self._claimer = None

    async def _ask(self, ask: store.Ask) -> tuple[float, store.Refusal | None]:
        if self.closed:
            raise BudgetClosed
        self._start()
        assert self._wakeup is not None
        waiting = _Waiting(ask, asyncio.get_running_loop().create_future())
        (self._bulk if ask.bulk else self._replies).append(waiting)
        self._wakeup.set()
        return await waiting.future

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but raise BudgetClosed at once if the process starts stopping meanwhile."""
        if self._closed is None:
            self._closed = asyncio.Event()
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), seconds)
        if self.closed:
            raise BudgetClosed

    def _start(self) -> None:
        if self._claimer is None or self._claimer.done():
            self._wakeup = asyncio.Event()
            self._claimer = asyncio.create_task(self._claim_forever(), name=f"send-budget:{self.channel}")

    async def _claim_forever(self) -> None:
        """Claim slots for whatever waits, one transaction at a time; retry while the database is away."""
        assert self._wakeup is not None
        failures = 0
        while not self.closed:
            if not (self._replies or self._bulk):
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if await self._claim_batch():
                failures = 0
                continue
            delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
            failures += 1
            await asyncio.sleep(delay)

    async def _claim_batch(self) -> bool:
        batch = self._take_batch()
        asks = [waiting.ask for waiting in batch]
        try:
            claim = await asyncio.to_thread(store.claim, self.database, self.channel, asks, self.rules, self._lead())
        except Exception as error:
            self._give_back(batch)
            log.warning("%s send budget unavailable, sends wait: %s", self.channel, error)
            return False
        self._hand_out(batch, claim)
        await self._maybe_prune()
        return True

    def _take_batch(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        for queue in (self._replies, self._bulk):
            while queue and len(batch) < MAX_BATCH:
                waiting = queue.popleft()
                if not waiting.future.done():  # the sender gave up (cancelled) meanwhile
                    batch.append(waiting)
        return batch

    def _give_back(self, batch: list[_Waiting]) -> None:
        for waiting in reversed(batch):
            (self._bulk if waiting.ask.bulk else self._replies).appendleft(waiting)

    def _hand_out(self, batch: list[_Waiting], claim: store.Claim) -> None:
        """Express each answer on this process's clock (slots were measured from the database clock reading)."""
        elapsed = asyncio.get_running_loop().time() - claim.read_at
        self._round_trip = 0.8 * self._round_trip + 0.2 * elapsed
        for waiting, answer in zip(batch, claim.answers, strict=True):
            if not waiting.future.done():
                waiting.future.set_result((answer.delay - elapsed, answer.refusal))

    def _lead(self) -> float:
        """Place slots a little further ahead than claims take to come back, so they arrive before their slot."""
        return min(MAX_LEAD, 2 * self._round_trip + 0.002)

    async def _maybe_prune(self) -> None:
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            try:
                await asyncio.to_thread(store.prune, self.database, self.channel)
            except Exception as error:
                log.warning("%s send budget: pruning per-chat rows failed: %s", self.channel, error)


def _bulk_gives_up(refusal: store.Refusal, delay: float) -> bool:
    """Bulk sends hand a pause back to their worker (it reschedules without holding anything), wait briefly for
    their chat, and wait as long as it takes behind replies."""
    if refusal is store.Refusal.PAUSED:
        return True
    return refusal is store.Refusal.CHAT and delay > BULK_CHAT_WAIT


# Every budget made in this process, so that stopping can close them all at once (bot.server, `troly deliver`).
SEND_BUDGETS: ServiceKey[list[SendBudget]] = ServiceKey("send_budgets")


def budget_for(troly: Troly, channel: str, limits: Limits) -> SendBudget:
    """A new budget for a channel's sender, registered so that `close_budgets` reaches it."""
    if SEND_BUDGETS not in troly:
        troly[SEND_BUDGETS] = []
    budgets = troly[SEND_BUDGETS]
    budgets[:] = [budget for budget in budgets if not budget.closed]
    budget = SendBudget(troly.database, channel, limits)
    budgets.append(budget)
    return budget


def close_budgets(troly: Troly) -> None:
    """The process is stopping: every sender's waiting messages give up now (and are kept for later)."""
    for budget in troly[SEND_BUDGETS] if SEND_BUDGETS in troly else []:  # noqa: SIM401 - Troly is not a Mapping
        budget.close()
