"""Replies on their way out: sent in the background, in order per chat, and never lost to a stop.

A channel hands the replies of a handled message to `ReplyQueue.submit` and answers its webhook at once: the
message is stored, and its replies go out as the send budget allows (bot.sendbudget). Each chat has its own
queue and task, so a chat that must wait (a flood of its own, a pause) holds up no other chat.

When the process stops, the queue gives its sends `grace` seconds, then keeps whatever is unsent in the core's
push outbox (bot.outbox) as replies owed (`REPLY_PRIORITY`, ahead of notices): the delivery loop of the next
`troly serve` sends them. A send cut off while it was in flight is kept too: the user may get that part twice,
but never none.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.clock import Clock
from bot.failures import describe, is_infrastructure
from bot.messages import Outbound
from bot.outbox import REPLY_PRIORITY, push
from bot.privacy import mask_user_id
from bot.senders import Sender, SendResult, SendStatus
from bot.services import ServiceKey
from bot.storage.db import Database
from bot.storage.models import User
from bot.users import mark_blocked

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0  # between attempts of a reply whose sender could not reach the database


@dataclass(frozen=True, slots=True)
class _Item:
    channel: str
    chat_id: str
    user_id: str  # the channel's id of the user the reply answers ('' when it answers no one in particular)
    message: Outbound
    batch: int  # the replies of one message share a batch: after a failure the rest of it is dropped


class ReplyQueue:
    """Per-chat queues of replies, sent by one task per busy chat through the channels' senders."""

    def __init__(self, database: Database, senders: Mapping[str, Sender], clock: Clock) -> None:
        self.database = database
        self.senders = dict(senders)
        self.clock = clock
        self._chats: dict[tuple[str, str], deque[_Item]] = {}
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._batches = itertools.count()
        self._closing = False

    def submit(self, channel: str, chat_id: str, user_id: str, replies: list[Outbound]) -> None:
        """Queue the replies of one message for its chat, after whatever that chat already has queued."""
        batch = next(self._batches)
        for reply in replies:
            self._enqueue(_Item(channel, chat_id, user_id, reply, batch))

    def waiting(self) -> int:
        return sum(len(queue) for queue in self._chats.values())

    async def settle(self) -> None:
        """Wait until every reply queued so far has been sent or given up (tests, and tools that must wait)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def aclose(self, grace: float) -> None:
        """Give sends `grace` seconds, then keep everything unsent in the database."""
        self._closing = True
        tasks = list(self._tasks.values())
        if tasks:
            _done, cut = await asyncio.wait(tasks, timeout=grace)
            for task in cut:
                task.cancel()
            await asyncio.gather(*cut, return_exceptions=True)
        await self._keep_unsent()

    def _enqueue(self, item: _Item) -> None:
        key = (item.channel, item.chat_id)
        self._chats.setdefault(key, deque()).append(item)
        if key not in self._tasks and not self._closing:
            self._tasks[key] = asyncio.create_task(self._drain(key), name=f"replies:{key[0]}")

    async def _drain(self, key: tuple[str, str]) -> None:
        """Send the chat's replies in order until its queue is empty, or the process stops."""
        queue = self._chats[key]
        try:
            while queue:
                item = queue[0]
                result = await self._send(item)
                if result.status is SendStatus.DEFERRED:
                    if self._closing:
                        return  # stopping: the item stays queued and is kept
                    await asyncio.sleep(RETRY_SECONDS)  # the database is away: the reply waits for it
                    continue
                queue.popleft()
                if not result.ok:
                    self._drop_rest_of_batch(queue, item.batch)
                    await self._report(item, result)
        finally:
            self._tasks.pop(key, None)
            if not queue:
                self._chats.pop(key, None)

    async def _send(self, item: _Item) -> SendResult:
        sender = self.senders.get(item.channel)
        if sender is None:
            return SendResult(SendStatus.UNREACHABLE, detail="no sender configured for the channel")
        try:
            return await sender.send(item.chat_id, item.message)
        except Exception as error:  # a sender bug, or the database away (Zalo checks its window there)
            if is_infrastructure(error):
                log.warning("reply to %s waits for the database: %s", _who(item), describe(error))
                return SendResult(SendStatus.DEFERRED, detail=describe(error))
            log.warning("reply to %s raised %s; not sent", _who(item), describe(error))
            return SendResult(SendStatus.TRANSIENT, detail=describe(error))

    @staticmethod
    def _drop_rest_of_batch(queue: deque[_Item], batch: int) -> None:
        """A later part of a message alone would make no sense."""
        kept = [item for item in queue if item.batch != batch]
        queue.clear()
        queue.extend(kept)

    async def _report(self, item: _Item, result: SendResult) -> None:
        if result.status is SendStatus.BLOCKED:
            log.info("%s blocked the bot", _who(item))
            with contextlib.suppress(Exception):
                await asyncio.to_thread(mark_blocked, self.database, item.channel, item.user_id or item.chat_id)
            return
        log.warning("reply to %s not sent: %s %s", _who(item), result.status, result.detail)

    async def _keep_unsent(self) -> None:
        unsent = [item for queue in self._chats.values() for item in queue]
        self._chats.clear()
        if not unsent:
            return
        try:
            await asyncio.to_thread(self._push_all, unsent)
        except Exception as error:
            log.error("%d unsent replies could not be kept and are lost: %s", len(unsent), describe(error))
            return
        log.warning("%d unsent replies kept for the next process", len(unsent))

    def _push_all(self, items: Sequence[_Item]) -> None:
        """Into the push outbox, in order, as replies owed (sent before notices), in one transaction."""
        now = self.clock.now()
        with self.database.transaction() as session:
            users: dict[tuple[str, str], int | None] = {}
            for item in items:
                key = (item.channel, item.user_id)
                if key not in users:
                    users[key] = session.scalar(
                        select(User.id).where(User.channel == item.channel, User.channel_user_id == item.user_id)
                    )
                push(session, channel=item.channel, chat_id=item.chat_id, message=item.message, now=now,
                     user_id=users[key], priority=REPLY_PRIORITY)  # fmt: skip


def _who(item: _Item) -> str:
    return mask_user_id(item.channel, item.user_id or item.chat_id)


# Where `troly serve` keeps its reply queue; channel adapters hand it the replies of every handled message.
REPLIES: ServiceKey[ReplyQueue] = ServiceKey("core.replies")
