"""Prometheus metrics of `troly serve`, exposed at GET /metrics (prometheus-client's text format).

Counting happens in two kinds of process. The server counts what passes through it: messages handed to the
core and their replies, the time they took, sends per channel and their results, worker restarts. The core
runs in worker processes (bot/workers.py), where features count what only they know (answer outcomes) and the
core times its own work. Those counts reach the server as **deltas over the worker's pipe**: in a worker,
`Metrics` records plain events instead of updating a registry, and each reply carries the events recorded
while it was produced; the server applies them to its registry.

Why not prometheus-client's multiprocess mode: it is switched on by PROMETHEUS_MULTIPROC_DIR before the library
is first imported (process-wide state, read at import), it keeps a directory of mmap files per process id that
must be wiped at start and marked after each dead worker, and gauges need special modes. Deltas cost a few
dozen bytes per reply, nothing that a worker had shipped is lost when it dies, and a registry stays an ordinary
object that each app (and each test) owns.

Every metric is declared up front: the core's below, a plugin's by its `metric_definitions()` hook, so that
server and workers, which load the same plugins, agree on names, labels and help texts.

prometheus-client (with the HTTP server and WSGI modules it imports, 14 ms) is imported when an app builds its
registry, not with this module: plugins import `MetricDefinition` here, and every `troly` command loads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.registry import Collector

# Buckets in seconds for work that takes milliseconds normally and seconds when something is wrong.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

Event = tuple[str, tuple[str, ...], float]  # metric name, label values (in the declared order), amount or seconds


@dataclass(frozen=True, slots=True)
class MetricDefinition:
    """A counter (`buckets` None) or a histogram, with its label names."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None


CORE_METRICS = (
    MetricDefinition(
        "troly_inbound_total", "Messages and events handed to the core, by channel and kind", ("channel", "event")
    ),
    MetricDefinition("troly_replies_total", "Replies the core produced, by channel", ("channel",)),
    MetricDefinition(
        "troly_handle_seconds",
        "From handing a message to the core until its replies are back (queueing included), by channel",
        ("channel",),
        LATENCY_BUCKETS,
    ),
    MetricDefinition("troly_core_seconds", "Time inside Troly.handle for one message", (), LATENCY_BUCKETS),
    MetricDefinition("troly_handler_errors_total", "Messages whose handler failed (the user got an apology)"),
    MetricDefinition(
        "troly_sends_total", "Sends to a channel by result and kind (reply, bulk)", ("channel", "status", "kind")
    ),
    MetricDefinition(
        "troly_send_seconds", "Duration of one send, rate-limit waits included", ("channel",), LATENCY_BUCKETS
    ),
    MetricDefinition("troly_core_worker_restarts_total", "Core worker processes that died and were replaced"),
)


class Metrics:
    """One process's metrics. In a core worker (`ship()`), it records events for the server instead."""

    def __init__(self, definitions: Iterable[MetricDefinition] = CORE_METRICS) -> None:
        from prometheus_client import CollectorRegistry

        self.registry = CollectorRegistry()
        self.definitions: dict[str, MetricDefinition] = {}
        self._metrics: dict[str, Counter | Histogram] = {}
        self._shipping = False
        self._pending: list[Event] = []
        self._collectors: dict[str, Collector] = {}
        self.define(definitions)

    def define(self, definitions: Iterable[MetricDefinition]) -> None:
        for definition in definitions:
            if definition.name in self.definitions:
                continue
            self.definitions[definition.name] = definition
            self._metrics[definition.name] = _create(definition, self.registry)

    def ship(self) -> None:
        """From now on record events for `drain` (a core worker's metrics travel to the server)."""
        self._shipping = True

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        self._record(name, amount, labels)

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        self._record(name, seconds, labels)

    def drain(self) -> list[Event]:
        """The events recorded since the last drain (a worker sends them with its reply)."""
        events, self._pending = self._pending, []
        return events

    def apply(self, events: Iterable[Event]) -> None:
        """Add a worker's events to this registry; events of metrics this process does not know are dropped."""
        for name, values, amount in events:
            if name in self._metrics:
                self._update(name, values, amount)

    def register_once(self, key: str, collector: Collector) -> None:
        """A collector that reads its values when scraped (the outbox's depth, the senders' 429s); one per
        key, so an app served twice (tests) does not register the same series twice."""
        previous = self._collectors.pop(key, None)
        if previous is not None:
            self.registry.unregister(previous)
        self.registry.register(collector)
        self._collectors[key] = collector

    def exposition(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def _record(self, name: str, amount: float, labels: Mapping[str, str]) -> None:
        definition = self.definitions[name]  # a KeyError here is a typo in the code, not a runtime condition
        values = tuple(str(labels[label]) for label in definition.labels)
        if self._shipping:
            self._pending.append((name, values, amount))
        else:
            self._update(name, values, amount)

    def _update(self, name: str, values: tuple[str, ...], amount: float) -> None:
        metric: Any = self._metrics[name]
        child = metric.labels(*values) if values else metric
        if self.definitions[name].buckets is not None:  # a histogram (see _create)
            child.observe(amount)
        else:
            child.inc(amount)


def _create(definition: MetricDefinition, registry: CollectorRegistry) -> Counter | Histogram:
    from prometheus_client import Counter, Histogram

    name = definition.name.removesuffix("_total")  # prometheus-client adds the suffix to counters itself
    if definition.buckets is None:
        return Counter(name, definition.documentation, definition.labels, registry=registry)
    return Histogram(name, definition.documentation, definition.labels, registry=registry, buckets=definition.buckets)
