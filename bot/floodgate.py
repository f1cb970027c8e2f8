"""A per-user limit on inbound messages, in front of the core: one person's flood never delays anyone else.

One user sent 3,000 messages at 234/s: each went through the core and queued a reply, so the core workers
and the send budget worked for that user while everybody else waited, and a stopping server waited minutes
for the flood's replies. Here each user (per channel) has a token bucket: `burst` messages at once, then
`per_minute`. The first message over the limit gets one polite note ("bạn gửi nhanh quá"); later ones are
dropped without reaching the core while the bucket is empty, and a message that finds a token goes through;
the note comes again only after the user has calmed down (a full bucket). Dropping is deliberate, so the channel
gets its 200: a redelivery would only be dropped again.

The buckets live in this process: a flood reaches the process its channel delivers to, and the limit is a
courtesy to the other users, not an accounting.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from bot import texts
from bot.messages import Inbound, Outbound
from bot.privacy import mask_user_id
from bot.worker_process import STOP_GRACE
from bot.workers import CoreRunner

log = logging.getLogger(__name__)

MAX_USERS = 100_000  # buckets kept; the least recently seen go first (a full bucket has nothing to remember)


class Verdict(Enum):
    PASS = "pass"
    WARN = "warn"  # over the limit, for the first time since the user's bucket was last full: tell them once
    DROP = "drop"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGate:
    """Token buckets per (channel, user). Not thread-safe: the server's event loop is its only caller."""

    def __init__(self, burst: int, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = float(burst)
        self.refill = per_minute / 60.0
        self.clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def admit(self, channel: str, user_id: str) -> Verdict:
        now = self.clock()
        key = (channel, user_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
            if len(self._buckets) > MAX_USERS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.refill)
            bucket.updated = now
        if bucket.tokens >= self.burst:
            bucket.warned = False  # calm again: a later flood is told again, once
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.PASS
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN


def gate_reply(gate: FloodGate, inbound: Inbound) -> list[Outbound] | None:
    """None when the message may go on to the core; otherwise what to answer instead (a note, or nothing).

    Only messages count: follow/unfollow and other events always pass.
    """
    if inbound.event != "message":
        return None
    verdict = gate.admit(inbound.channel, inbound.user_id)
    if verdict is Verdict.PASS:
        return None
    if verdict is Verdict.WARN:
        log.warning("%s sends too fast; their messages are dropped for a while", _who(inbound))
        return [Outbound(texts.TOO_FAST)]
    log.debug("message %s of %s dropped (too fast)", inbound.message_id or "-", _who(inbound))
    return []


def _who(inbound: Inbound) -> str:
    return mask_user_id(inbound.channel, inbound.user_id)


class GatedRunner:
    """The server's core runner behind the flood gate: what `troly serve` hands channels as CORE_RUNNER."""

    def __init__(self, runner: CoreRunner, gate: FloodGate) -> None:
        self.runner = runner
        self.gate = gate

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        instead = gate_reply(self.gate, inbound)
        return instead if instead is not None else await self.runner.handle(inbound)

    def ready(self) -> bool:
        return self.runner.ready()

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        await self.runner.aclose(grace)
