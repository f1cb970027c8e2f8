"""The delivery loop of the push outbox (bot.outbox), a background task of `troly serve`.

Pushes are few (notifications, reminders, alerts), so the loop is plain: claim a small batch of due messages,
send them through the channels' senders (which keep the rate limits), record each outcome. A message whose
channel is temporarily failing is retried with backoff; one the channel refuses for good is marked failed;
a user who blocked the bot is marked blocked and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot import outbox
from bot.alerts import FailureSpike
from bot.channels import ChannelPolicy, split_text
from bot.clock import Clock
from bot.messages import Outbound
from bot.privacy import mask_user_id
from bot.senders import Sender, SendResult, SendStatus
from bot.storage.db import Database
from bot.storage.models import PushState
from bot.users import mark_blocked

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class PushOptions:
    poll_seconds: float = 0.5
    batch: int = 20
    max_attempts: int = 6
    lease: timedelta = timedelta(seconds=60)


class PushDelivery:
    def __init__(
        self,
        database: Database,
        senders: Mapping[str, Sender],
        policies: Mapping[str, ChannelPolicy],
        clock: Clock,
        options: PushOptions | None = None,
        spike: FailureSpike | None = None,
    ) -> None:
        self.database = database
        self.senders = dict(senders)
        self.policies = dict(policies)
        self.clock = clock
        self.options = options or PushOptions()
        self.spike = spike  # many failed sends in a row raise an operators' alert (bot/alerts.py)
        self.worker_id = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; database trouble is logged and waited out, never fatal."""
        while not stop.is_set():
            try:
                sent = await self.step()
            except Exception:
                log.exception("push delivery failed; retrying in %.1f s", self.options.poll_seconds)
                sent = 0
            if sent < self.options.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.options.poll_seconds)

    async def step(self) -> int:
        """Claim and send one batch; returns how many were claimed."""
        now = self.clock.now()
        claimed = await asyncio.to_thread(
            outbox.claim, self.database, self.worker_id, set(self.senders), self.options.batch, now,
            now - self.options.lease,
        )  # fmt: skip
        for item in claimed:
            result = await self._send(item)
            await asyncio.to_thread(self._record, item, result)
            if self.spike is not None and result.status in (SendStatus.INVALID, SendStatus.TRANSIENT):
                self.spike.failed(item.channel, result.detail or result.status.value, self.clock.now())
        return len(claimed)

    async def _send(self, item: outbox.ClaimedPush) -> SendResult:
        sender = self.senders[item.channel]
        policy = self.policies.get(item.channel)
        parts = [item.message]
        if policy is not None and len(item.message.text) > policy.max_text_chars:
            chunks = split_text(item.message.text, policy.max_text_chars)
            parts = [Outbound(chunk) for chunk in chunks[:-1]]
            parts.append(Outbound(chunks[-1], choices=item.message.choices, meta=item.message.meta))
        result = SendResult(SendStatus.SENT)
        for part in parts:
            try:
                result = await sender.send(item.chat_id, part)
            except Exception as error:
                log.exception("sender %s raised for push %d", item.channel, item.id)
                result = SendResult(SendStatus.TRANSIENT, detail=type(error).__name__)
            if not result.ok:
                break
        return result

    def _record(self, item: outbox.ClaimedPush, result: SendResult) -> None:
        now = self.clock.now()
        status = result.status
        detail = f"{status.value}: {result.detail}" if result.detail else status.value
        if status is SendStatus.SENT:
            outbox.finish(self.database, item.id, self.worker_id, PushState.SENT, now)
        elif status is SendStatus.DEFERRED:  # this process is stopping: the next one sends it
            outbox.retry_later(self.database, item.id, self.worker_id, now, detail)
        elif status in (SendStatus.BLOCKED, SendStatus.UNREACHABLE):
            if status is SendStatus.BLOCKED and item.channel_user_id:
                mark_blocked(self.database, item.channel, item.channel_user_id)
            outbox.finish(self.database, item.id, self.worker_id, PushState.SKIPPED, now, detail)
        elif status is SendStatus.INVALID or item.attempts >= self.options.max_attempts:
            who = mask_user_id(item.channel, item.channel_user_id or item.chat_id)
            log.warning("push %d to %s failed for good: %s", item.id, who, detail)
            outbox.finish(self.database, item.id, self.worker_id, PushState.FAILED, now, detail)
        else:
            delay = result.retry_after if status is SendStatus.RATE_LIMITED and result.retry_after else None
            delay = delay or min(2.0 ** (item.attempts - 1), MAX_BACKOFF_SECONDS)
            outbox.retry_later(self.database, item.id, self.worker_id, now + timedelta(seconds=delay), detail)
