"""Never acknowledge what was not stored: an infrastructure failure inside a handler is passed on (Telegram
gets 503, Zalo no 200, nobody an apology); a handler bug keeps the polite apology and counts as handled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from sqlalchemy import select

from bot import texts
from bot.app import Troly, create_app
from bot.failures import InfrastructureFailure
from bot.settings import DEFAULT_PLUGINS, Settings
from bot.storage.models import ProcessedMessage
from bot.workers import ProcessRunner
from tests.helpers import inbound, joined
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import FakeZalo, text_event, zalo_settings
from tests.support.telegram_e2e import SECRET, serving, telegram_settings
from tests.support.telegram_updates import post_update, text_update
from tests.support.zalo_harness import ZaloHarness

PLUGINS = (*DEFAULT_PLUGINS, "tests.support.faulty_plugin")


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    fake = await FakeZalo().start()
    yield fake
    await fake.close()


@pytest.fixture
def faulty_app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    yield troly
    troly.close()


def _processed(app: Troly) -> set[str]:
    with app.database.transaction() as session:
        return set(session.scalars(select(ProcessedMessage.message_id)))


def test_the_core_passes_infrastructure_failures_on_and_apologises_for_bugs(faulty_app: Troly) -> None:
    with pytest.raises(InfrastructureFailure, match="disk is full"):
        faulty_app.handle(inbound("/daydisk", message_id="full-1"))
    assert joined(faulty_app.handle(inbound("/loi", message_id="bug-1"))) == texts.APOLOGY
    assert _processed(faulty_app) == {"bug-1"}  # the bug counts as handled; the full disk stored nothing
    assert faulty_app.handle(inbound("/loi", message_id="bug-1")) == []  # and its redelivery is a duplicate


async def test_a_core_worker_process_passes_the_failure_to_the_server(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    settings = make_settings(database_url=sqlite_url, plugins=PLUGINS, core_workers=1)
    troly = create_app(settings)
    runner = ProcessRunner(settings, 1)
    await runner.start()
    try:
        with pytest.raises(InfrastructureFailure, match="disk is full"):
            await runner.handle(inbound("/daydisk", message_id="full-2"))
        assert joined(await runner.handle(inbound("/loi", message_id="bug-2"))) == texts.APOLOGY
        assert "Xin chào" in joined(await runner.handle(inbound("xin chào")))  # the worker lives on
    finally:
        await runner.aclose()
        troly.close()


async def test_telegram_gets_503_and_no_apology_when_nothing_was_stored(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> None:
    troly = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url, plugins=PLUGINS))
    try:
        async with serving(troly) as (url, session):
            assert (await post_update(session, url, text_update(11, "/daydisk"), SECRET)).status == 503
            assert (await post_update(session, url, text_update(12, "/loi"), SECRET)).status == 200
            await fake_telegram.wait_for("sendMessage", chat_id=12)
    finally:
        troly.close()
    assert not fake_telegram.sent(11)
    assert fake_telegram.plain_texts(12) == [texts.APOLOGY]


async def test_zalo_gets_no_200_and_no_apology_when_nothing_was_stored(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_zalo: FakeZalo
) -> None:
    settings = make_settings(database_url=sqlite_url, plugins=PLUGINS, **zalo_settings(fake_zalo))
    harness = await ZaloHarness(settings).start()
    try:
        assert await harness.post(text_event("8100000000000000001", "/daydisk", "z-full")) == 503
        assert await harness.say("8100000000000000002", "/loi", "z-bug") == 200
    finally:
        await harness.stop()
    assert fake_zalo.texts_to("8100000000000000001") == []
    assert fake_zalo.texts_to("8100000000000000002") == [texts.APOLOGY]
