"""What `troly serve` measures around the core and the channels (the metrics themselves: bot/metrics.py).

- `MeteredRunner` wraps the core's runner: messages in, replies out, and how long the core took, per channel.
- `meter_sender` wraps a sender's `send`: results per channel, status and kind, and their duration. It wraps
  the bound method rather than the object, so code that checks a sender's class still sees its own.
- `ServerCollector` reads, when scraped, what is kept elsewhere: each sender's count of "slow down" answers
  (429, Zalo's -32) in its optional `throttled` attribute, the number of live core workers, and whatever the
  plugins report with their `collect_metrics(troly)` hook (the announcement outbox's depth).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from bot.floodgate import GatedRunner
from bot.messages import Inbound, Outbound
from bot.metrics import Metrics
from bot.plugins import hooks
from bot.senders import SENDERS, Sender, SendResult
from bot.worker_process import STOP_GRACE
from bot.workers import CORE_RUNNER, CoreRunner, ProcessRunner

if TYPE_CHECKING:
    from bot.app import Troly


class MeteredRunner:
    """The core's runner, counted: what every channel adapter hands to the core passes here."""

    def __init__(self, runner: CoreRunner, metrics: Metrics) -> None:
        self.runner = runner
        self.metrics = metrics

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        self.metrics.count("troly_inbound_total", channel=inbound.channel, event=inbound.event)
        started = time.perf_counter()
        replies = await self.runner.handle(inbound)
        self.metrics.observe("troly_handle_seconds", time.perf_counter() - started, channel=inbound.channel)
        if replies:
            self.metrics.count("troly_replies_total", len(replies), channel=inbound.channel)
        return replies

    def ready(self) -> bool:
        return self.runner.ready()

    async def aclose(self, grace: float = STOP_GRACE) -> None:
        await self.runner.aclose(grace)


def meter_sender(sender: Sender, metrics: Metrics) -> Sender:
    send = sender.send

    async def metered_send(chat_id: str, message: Outbound, *, bulk: bool = False, **options: Any) -> SendResult:
        """The sender's own `send`, timed and counted; options a channel adds (Zalo's retry delays) pass on."""
        started = time.perf_counter()
        status = "error"  # an exception escaped the sender
        try:
            result = await send(chat_id, message, bulk=bulk, **options)
            status = result.status.value
            return result
        finally:
            kind = "bulk" if bulk else "reply"
            metrics.count("troly_sends_total", channel=sender.channel, status=status, kind=kind)
            metrics.observe("troly_send_seconds", time.perf_counter() - started, channel=sender.channel)

    setattr(sender, "send", metered_send)  # noqa: B010 - an instance attribute over the method, on purpose
    return sender


class ServerCollector:
    """Values read at scrape time from the live app."""

    def __init__(self, troly: Troly) -> None:
        self.troly = troly

    def collect(self) -> Iterator[Metric]:
        troly = self.troly
        throttled = CounterMetricFamily(
            "troly_channel_throttled",
            "Answers of a channel asking us to slow down (HTTP 429, Zalo -32)",
            labels=["channel"],
        )
        senders = troly[SENDERS] if SENDERS in troly else {}  # noqa: SIM401 - Troly is not a Mapping
        for channel, sender in sorted(senders.items()):
            throttled.add_metric([channel], float(getattr(sender, "throttled", 0)))
        yield throttled
        inner = troly[CORE_RUNNER] if CORE_RUNNER in troly else None  # noqa: SIM401
        while isinstance(inner, MeteredRunner | GatedRunner):  # the counted, flood-gated runner around the pool
            inner = inner.runner
        workers = GaugeMetricFamily("troly_core_workers", "Core worker processes alive (0: the core runs in a thread)")
        workers.add_metric([], float(len(inner.workers)) if isinstance(inner, ProcessRunner) else 0.0)
        yield workers
        for collect in hooks(troly.plugins, "collect_metrics"):
            yield from collect(troly)
