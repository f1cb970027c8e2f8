"""The Telegram sender on its own, against the fake_telegram Bot API: classification, retries, limits and priority."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from telegram import Bot

from adapters.telegram.request import AiohttpRequest
from adapters.telegram.sender import TelegramSender, build_bot, telegram_limits
from bot.app import open_database
from bot.messages import Outbound
from bot.sendbudget import Limits, SendBudget
from bot.senders import SendStatus
from bot.settings import Settings
from bot.storage.db import Database
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import free_port
from tests.support.telegram_e2e import telegram_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def database(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Database]:
    """The send budget lives in the database."""
    database = open_database(make_settings(database_url=sqlite_url))
    yield database
    database.dispose()


@pytest.fixture
def make_sender(
    make_settings: Callable[..., Settings], fake_telegram: FakeTelegram, database: Database
) -> Callable[..., TelegramSender]:
    def make(rate: float = 1000) -> TelegramSender:
        settings = telegram_settings(make_settings, fake_telegram, telegram_rate=rate)
        return TelegramSender(build_bot(settings), SendBudget(database, "telegram", telegram_limits(settings)))

    return make


async def test_failures_are_classified(make_sender: Callable[..., TelegramSender], fake_telegram: FakeTelegram) -> None:
    sender = make_sender()
    fake_telegram.block(1)
    fake_telegram.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=2)
    fake_telegram.fail("sendMessage", 502, "Bad Gateway", chat_id=3)
    fake_telegram.rate_limit(4, retry_after=7)
    try:
        assert (await sender.send("1", Outbound("a"), bulk=True)).status is SendStatus.BLOCKED
        assert (await sender.send("2", Outbound("a"), bulk=True)).status is SendStatus.INVALID
        assert (await sender.send("3", Outbound("a"), bulk=True)).status is SendStatus.TRANSIENT
        limited = await sender.send("4", Outbound("a"), bulk=True)
        assert limited.status is SendStatus.RATE_LIMITED and limited.retry_after == 7
        paused = await sender.send("4", Outbound("b"), bulk=True)  # still paused: refused without calling Telegram
        assert paused.status is SendStatus.RATE_LIMITED and 6 < (paused.retry_after or 0) <= 7
        assert len(fake_telegram.calls("sendMessage", 4)) == 1
        other = await sender.send("5", Outbound("ok"), bulk=True)  # a 429 pauses the whole bot, as PTB does
        assert other.status is SendStatus.RATE_LIMITED and not fake_telegram.calls("sendMessage", 5)
    finally:
        await sender.aclose()


async def test_replies_retry_network_trouble(
    make_sender: Callable[..., TelegramSender], fake_telegram: FakeTelegram
) -> None:
    sender = make_sender()
    fake_telegram.fail("sendMessage", 502, "Bad Gateway", chat_id=6)
    try:
        assert (await sender.send("6", Outbound("xin chào"))).ok
    finally:
        await sender.aclose()
    assert [call.error_code for call in fake_telegram.calls("sendMessage", 6)] == [502, None]


async def test_one_chat_gets_about_one_message_per_second(
    make_sender: Callable[..., TelegramSender], fake_telegram: FakeTelegram
) -> None:
    sender = make_sender()
    try:
        results = await asyncio.gather(*(sender.send("7", Outbound(f"tin {n}")) for n in range(4)))
    finally:
        await sender.aclose()
    assert all(result.ok for result in results)
    times = sorted(call.at for call in fake_telegram.sent(7))
    assert times[2] - times[0] < 0.9  # a burst of three is allowed (one per second would take 2 s)
    assert times[3] - times[0] >= 0.75  # the fourth waits about a second (arrivals jitter on a busy machine)


async def test_bulk_sends_wait_behind_replies(
    make_sender: Callable[..., TelegramSender], fake_telegram: FakeTelegram
) -> None:
    sender = make_sender(rate=5)
    try:
        bulk = [asyncio.create_task(sender.send(f"b{n}", Outbound("thông báo"), bulk=True)) for n in range(10)]
        await asyncio.sleep(0.05)
        replies = [asyncio.create_task(sender.send(f"r{n}", Outbound("trả lời"))) for n in range(3)]
        results = await asyncio.gather(*bulk, *replies)
    finally:
        await sender.aclose()
    assert all(result.ok for result in results)
    order = [call.chat_id or "" for call in sorted(fake_telegram.sent(), key=lambda call: call.at)]
    assert all(chat.startswith("b") for chat in order[-4:]), order  # replies overtook the queued announcements


async def test_images_go_as_photos_with_caption(
    make_sender: Callable[..., TelegramSender], fake_telegram: FakeTelegram
) -> None:
    sender = make_sender()
    try:
        assert (await sender.send("8", Outbound("Mã QR <đây>", image=PNG))).ok
        assert (await sender.send("9", Outbound("dài " * 400, image=PNG))).ok
    finally:
        await sender.aclose()
    [photo] = fake_telegram.calls("sendPhoto", 8)
    assert photo.params["caption"] == "Mã QR &lt;đây&gt;" and photo.params["photo"]["size"] == len(PNG)
    assert [call.method for call in fake_telegram.sent(9)] == ["sendPhoto", "sendMessage"]
    assert "caption" not in fake_telegram.calls("sendPhoto", 9)[0].params


async def test_timeouts_and_refused_connections_are_transient(fake_telegram: FakeTelegram, database: Database) -> None:
    fake_telegram.delay = 0.5
    slow = Bot(fake_telegram.token, base_url=fake_telegram.api_url, request=AiohttpRequest(read_timeout=0.1))
    closed = Bot(fake_telegram.token, base_url=f"http://127.0.0.1:{free_port()}/bot", request=AiohttpRequest())
    for bot in (slow, closed):
        sender = TelegramSender(bot, SendBudget(database, "telegram", Limits(rate=1000)))
        try:
            result = await sender.send("10", Outbound("a"), bulk=True)
        finally:
            await sender.aclose()
        assert result.status is SendStatus.TRANSIENT, result
