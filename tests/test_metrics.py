"""GET /metrics: what the server counts, what core worker processes count (shipped as deltas over their pipe),
and what is read when scraped (429s, live workers, the outbox's depth)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families

from bot.app import Troly, create_app
from bot.metrics import MetricDefinition, Metrics
from bot.settings import Settings
from bot.workers import ProcessRunner, start_runner
from tests.announce_helpers import import_sample
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_e2e import SECRET, serving
from tests.support.telegram_updates import post_update, text_update


def samples(exposition: bytes | str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = exposition.decode() if isinstance(exposition, bytes) else exposition
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_a_workers_events_reach_the_servers_registry() -> None:
    definitions = [MetricDefinition("t_total", "a counter", ("kind",)), MetricDefinition("t_seconds", "h", (), (1.0,))]
    worker, server = Metrics(definitions), Metrics(definitions)
    worker.ship()
    worker.count("t_total", kind="a")
    worker.count("t_total", 2, kind="a")
    worker.observe("t_seconds", 0.5)
    assert value(samples(worker.exposition()), "t_total", kind="a") == 0  # shipped, not kept

    server.apply(worker.drain())

    found = samples(server.exposition())
    assert value(found, "t_total", kind="a") == 3
    assert value(found, "t_seconds_count") == 1 and value(found, "t_seconds_bucket", le="1.0") == 1
    assert worker.drain() == []


async def test_answer_outcomes_counted_in_a_worker_process_reach_the_server(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    troly = create_app(make_settings(database_url=sqlite_url, core_workers=1))
    runner = await start_runner(troly)
    assert isinstance(runner, ProcessRunner)
    try:
        await runner.handle(inbound("cai vneid ntn", user="a"))
        await runner.handle(inbound("thời tiết hôm nay thế nào", user="b"))
        await runner.handle(inbound("/trogiup", user="c"))
    finally:
        await runner.aclose()
        troly.close()
    found = samples(troly.metrics.exposition())
    assert value(found, "troly_answers_total", outcome="answer") == 1
    assert value(found, "troly_answers_total", outcome="fallback") == 1
    assert value(found, "troly_core_seconds_count") == 3  # timed inside the worker, counted here


async def test_the_endpoint_counts_updates_replies_sends_and_429s(tg_app: Troly, fake_telegram: FakeTelegram) -> None:
    import_sample(tg_app)
    async with serving(tg_app) as (url, session):
        before = samples(await (await session.get(f"{url}/metrics")).text())
        fake_telegram.rate_limit(chat_id=71, retry_after=1, times=1)
        for chat_id in (70, 71):
            assert (await post_update(session, url, text_update(chat_id, "cai vneid"), SECRET)).status == 200
        await fake_telegram.wait_for("sendMessage", chat_id=70)
        await fake_telegram.wait_for("sendMessage", chat_id=71)
        response = await session.get(f"{url}/metrics")
        assert response.status == 200 and response.content_type == "text/plain"
        after = samples(await response.text())

    assert value(before, "troly_inbound_total", channel="telegram", event="message") == 0
    assert value(after, "troly_inbound_total", channel="telegram", event="message") == 2
    assert value(after, "troly_replies_total", channel="telegram") >= 2
    assert value(after, "troly_handle_seconds_count", channel="telegram") == 2
    assert value(after, "troly_answers_total", outcome="answer") == 2
    assert value(after, "troly_sends_total", channel="telegram", status="sent", kind="reply") >= 2
    assert value(after, "troly_send_seconds_count", channel="telegram") >= 2
    assert value(after, "troly_channel_throttled_total", channel="telegram") == 1  # the reply waited it out
    assert ("troly_outbox_depth", frozenset()) not in after  # nothing queued: no series, and no error
    assert value(after, "troly_core_workers") == 0  # these tests run the core in a thread
