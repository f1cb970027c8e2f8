"""The delivery loop: claims outbox rows and keeps each channel's sender busy, within its limits.

Rate limiting belongs to the senders (they take every send's turn in the channel's send budget, shared by
all processes, which puts replies to users ahead of bulk sends); this loop keeps up to `concurrency` sends in
flight per channel so the budget is never starved, pauses a channel when it answers 429, and turns every
result into an outbox transition. Database calls are synchronous SQLAlchemy and run in threads so the sends
keep flowing meanwhile. A send the sender did not start because the process is stopping (DEFERRED) goes back
to the queue as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.alerts import FailureSpike
from bot.channels import ChannelPolicy
from bot.messages import Outbound
from bot.senders import OUTSIDE_WINDOW, Sender, SendResult, SendStatus
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.types import utcnow
from bot.users import mark_blocked
from handlers.announcements import outbox
from handlers.announcements.models import OutboxState

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0
DRAIN_SECONDS = 2.0  # sends in flight get this long when the worker stops (waiting ones give up at once)


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    concurrency: int = 16
    lease: timedelta = timedelta(seconds=30)
    max_attempts: int = 6
    poll_seconds: float = 1.0
    backoff_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryOptions:
        return cls(
            concurrency=settings.delivery_concurrency,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            max_attempts=settings.delivery_max_attempts,
            poll_seconds=settings.delivery_poll_seconds,
        )


def new_worker_id() -> str:
    """Host, process and a random suffix: readable in the status, unique across restarts."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


class DeliveryWorker:
    """One worker process's (or `troly serve`'s) delivery loop over the channels it has senders for."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[str, Sender],
        policies: Mapping[str, ChannelPolicy],
        options: DeliveryOptions,
        *,
        worker_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        spike: FailureSpike | None = None,
    ) -> None:
        self.database = database
        self.senders = dict(senders)
        self.policies = dict(policies)
        self.options = options
        self.worker_id = worker_id or new_worker_id()
        self.clock = clock
        self.spike = spike  # many failed sends raise an operators' alert (bot/alerts.py)
        self.inflight: dict[str, set[asyncio.Task[None]]] = {channel: set() for channel in self.senders}
        self.paused_until: dict[str, float] = {}
        self.results: list[tuple[outbox.Claimed, SendResult]] = []
        self.sent = 0

    async def run(self, stop: asyncio.Event, *, exit_when_idle: bool = False) -> None:
        """Deliver until `stop` is set (or, with `exit_when_idle`, until nothing is left for our channels)."""
        await self._beat()
        next_beat = time.monotonic() + self._beat_interval()
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() >= next_beat:
                        await self._beat()
                        next_beat = time.monotonic() + self._beat_interval()
                    if not await self._step(stop, exit_when_idle):
                        break
                except Exception:  # the database went away for a moment: log, wait, carry on
                    log.exception("delivery loop error; retrying in %.1f s", self.options.poll_seconds)
                    await _sleep_or_stop(stop, self.options.poll_seconds)
        finally:
            await self._drain()

    async def _step(self, stop: asyncio.Event, exit_when_idle: bool) -> bool:
        """Record finished sends, start what can be started, then wait for a send to finish or for work to
        appear; False: all done."""
        await self._flush()
        started = await self._fill()
        tasks = self._all_inflight()
        if tasks:
            await _wait_any(tasks, stop, self.options.poll_seconds)
        elif not started:
            if exit_when_idle and await asyncio.to_thread(outbox.pending, self.database, self.senders) == 0:
                return False
            await _sleep_or_stop(stop, self._idle_seconds())
        return True

    async def _beat(self) -> None:
        """Refresh our heartbeat and take over the rows of workers whose heartbeat is stale."""
        now = self.clock()
        await asyncio.to_thread(outbox.heartbeat, self.database, self.worker_id, now)
        recovered = await asyncio.to_thread(outbox.recover, self.database, now, self.options.lease)
        if recovered:
            log.warning("requeued %d in-flight sends of dead workers (counted as uncertain)", recovered)

    def _beat_interval(self) -> float:
        return max(0.2, self.options.lease.total_seconds() / 3)

    async def _fill(self) -> int:
        """Claim rows for every channel with free slots that is not paused; start their sends."""
        started = 0
        now_mono = time.monotonic()
        for channel, tasks in self.inflight.items():
            free = self.options.concurrency - len(tasks)
            # Claim in batches (half the slots) rather than one row per finished send: fewer transactions,
            # and still enough sends waiting in the sender's limiter to keep it busy.
            if free < max(1, self.options.concurrency // 2) and tasks:
                continue
            if self.paused_until.get(channel, 0.0) > now_mono:
                continue
            rows = await asyncio.to_thread(
                outbox.claim,
                self.database,
                self.worker_id,
                channel,
                free,
                self.clock(),
                self.policies.get(channel),
            )
            for row in rows:
                task = asyncio.create_task(self._deliver(row))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            started += len(rows)
        return started

    def _all_inflight(self) -> set[asyncio.Task[None]]:
        return set().union(*self.inflight.values()) if self.inflight else set()

    def _idle_seconds(self) -> float:
        now_mono = time.monotonic()
        pauses = [until - now_mono for until in self.paused_until.values() if until > now_mono]
        return max(0.01, min([self.options.poll_seconds, *pauses]))

    async def _deliver(self, row: outbox.Claimed) -> None:
        sender = self.senders[row.channel]
        policy = self.policies.get(row.channel)
        if policy is not None and len(row.text) > policy.max_text_chars:
            result = SendResult(SendStatus.INVALID, detail=f"text longer than {policy.max_text_chars} characters")
        else:
            try:
                result = await sender.send(row.chat_id, Outbound(row.text), bulk=True)
            except Exception as error:  # a sender bug or an unexpected network error: retry like TRANSIENT
                log.exception("sender %s raised for outbox row %d", row.channel, row.id)
                result = SendResult(SendStatus.TRANSIENT, detail=type(error).__name__)
        if result.status is SendStatus.RATE_LIMITED:
            pause = result.retry_after if result.retry_after is not None else 1.0
            self.paused_until[row.channel] = max(self.paused_until.get(row.channel, 0.0), time.monotonic() + pause)
        self.results.append((row, result))

    async def _flush(self) -> None:
        """Write the results gathered since the last flush in one transaction.

        Until then their rows stay "sending": a crash in between makes them uncertain, exactly like a crash
        during the send, so batching costs no safety, only a slightly wider window.
        """
        if self.results:
            batch, self.results = self.results, []
            try:
                await asyncio.to_thread(self._record, batch)
            except Exception:
                self.results[:0] = batch  # the database hiccuped: keep them for the next flush
                raise
            self._count_failures(batch)

    def _count_failures(self, batch: list[tuple[outbox.Claimed, SendResult]]) -> None:
        if self.spike is None:
            return
        for row, result in batch:
            if result.status in (SendStatus.INVALID, SendStatus.TRANSIENT):
                self.spike.failed(row.channel, result.detail or result.status.value, self.clock(), "thông báo")

    def _record(self, batch: list[tuple[outbox.Claimed, SendResult]]) -> None:
        """Turn send results into the rows' next states (runs in a thread)."""
        now = self.clock()
        for row, result in batch:
            if result.status is SendStatus.BLOCKED:
                mark_blocked(self.database, row.channel, row.channel_user_id)
        outcomes = [(row.id, self._outcome(row, result, now)) for row, result in batch]
        lost = set(outbox.record(self.database, self.worker_id, outcomes))
        self.sent += sum(1 for row, result in batch if result.ok and row.id not in lost)
        if lost:
            log.warning("outbox rows %s were taken over while their sends were in flight", sorted(lost))

    def _outcome(self, row: outbox.Claimed, result: SendResult, now: datetime) -> dict[str, Any]:
        status = result.status
        if status is SendStatus.SENT:
            return outbox.finished(OutboxState.SENT, now) | {"channel_message_id": result.message_id[:64]}
        if status is SendStatus.BLOCKED:
            return outbox.finished(OutboxState.SKIPPED, now, "blocked")
        if status is SendStatus.UNREACHABLE and result.detail == OUTSIDE_WINDOW:  # the channel's own verdict
            return outbox.finished(OutboxState.SKIPPED, now, OUTSIDE_WINDOW)
        if status is SendStatus.UNREACHABLE:
            return outbox.finished(OutboxState.SKIPPED, now, _reason("unreachable", result))
        if status is SendStatus.INVALID:
            return outbox.finished(OutboxState.FAILED, now, _reason("invalid", result))
        if status is SendStatus.RATE_LIMITED:
            delay = timedelta(seconds=result.retry_after if result.retry_after is not None else 1.0)
            return outbox.requeued(now + delay, "rate_limited", count=False)
        if status is SendStatus.DEFERRED:
            return outbox.requeued(now, "stopped", count=False)
        if row.attempts >= self.options.max_attempts:
            return outbox.finished(OutboxState.FAILED, now, _reason("transient", result))
        delay = timedelta(seconds=min(self.options.backoff_seconds * 2 ** (row.attempts - 1), MAX_BACKOFF_SECONDS))
        return outbox.requeued(now + delay, _reason("transient", result))

    async def _drain(self) -> None:
        """Let sends in flight finish (briefly); whatever is cut off stays "sending" and is recovered later."""
        tasks = self._all_inflight()
        if tasks:
            _done, cut = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
            for task in cut:
                task.cancel()
            if cut:
                log.warning("%d sends cut off at shutdown; they will be resent and counted as uncertain", len(cut))
                await asyncio.gather(*cut, return_exceptions=True)
        await self._flush()
        await asyncio.to_thread(outbox.retire, self.database, self.worker_id)


def _reason(kind: str, result: SendResult) -> str:
    return f"{kind}: {result.detail}" if result.detail else kind


async def _wait_any(tasks: set[asyncio.Task[None]], stop: asyncio.Event, seconds: float) -> None:
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({*tasks, stopper}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
