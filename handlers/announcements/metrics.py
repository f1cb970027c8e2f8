"""The outbox's depth for /metrics: rows waiting or being sent, per channel and state, read when scraped."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func, select

from bot.app import Troly
from handlers.announcements.models import OutboxItem, OutboxState

PENDING = (OutboxState.QUEUED, OutboxState.SENDING)


def collect_metrics(troly: Troly) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "troly_outbox_depth", "Announcement messages not yet sent, by channel and state", labels=["channel", "state"]
    )
    query = (
        select(OutboxItem.channel, OutboxItem.state, func.count())
        .where(OutboxItem.state.in_(PENDING))
        .group_by(OutboxItem.channel, OutboxItem.state)
    )
    with troly.database.engine.connect() as connection:  # a read: no writer lock, no transaction to commit
        for channel, state, number in connection.execute(query):
            depth.add_metric([channel, OutboxState(state).value], float(number))
    yield depth
