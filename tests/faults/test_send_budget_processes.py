"""Done when: 1 `troly serve` + 2 `troly deliver` processes, on PostgreSQL and on SQLite, against the fake Bot
API: an announcement and replies to users at the same time, and no one-second window over the bot's limit,
every message sent exactly once.

Before the shared budget each process had its own limiter: two workers sent 47/s at a limit of 25/s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import Settings
from handlers.announcements.models import DeliveryWorker, OutboxItem, OutboxState
from tests.announce_helpers import add_residents, import_sample
from tests.faults.timeline import busiest_second
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import free_port
from tests.support.processes import TelegramDelivery, start, start_serve, stop, troly_env
from tests.support.telegram_updates import text_update
from tests.test_announce_outbox import queue

RATE = 10
SUBSCRIBERS = 60
USERS = 30
QUESTION = "xin chào"


async def test_one_serve_and_two_deliver_processes_stay_within_the_rate_together(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url=database_url)
    app = create_app(settings)
    import_sample(app)
    subscribers = add_residents(app, "22-MC", SUBSCRIBERS, channel="telegram", prefix="700")
    reference = inbound(QUESTION, channel="console", user="reference", user_name="Lan Nguyễn")  # Telegram's name
    expected = [reply.text for reply in app.handle(reference)]
    port = free_port()
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = troly_env(settings.data_dir, database_url, fake, telegram_rate=RATE, delivery_poll_seconds=0.2,
                        delivery_concurrency=8)  # fmt: skip
        serve = await start_serve(env, port, tmp_path / "serve.log")
        workers = [await start(env, tmp_path / f"deliver{n}.log", "deliver") for n in range(2)]
        try:
            await _until(lambda: _live_workers(app) >= 3, "three delivery loops running")
            queue(app, "22-MC")
            calls = TelegramDelivery(session, f"http://127.0.0.1:{port}")
            updates = [text_update(9000 + n, QUESTION) for n in range(USERS)]
            assert all(await asyncio.gather(*(calls.deliver(update) for update in updates)))
            total = SUBSCRIBERS + USERS * len(expected)
            await fake.wait_for("sendMessage", total, timeout=total / RATE * 3)
        finally:
            codes = [(await stop(process))[0] for process in (serve, *workers)]
    assert codes == [0, 0, 0]

    assert all(fake.plain_texts(chat) == ["Thông báo thử"] for chat in subscribers)  # each exactly once
    assert all(fake.plain_texts(9000 + n) == expected for n in range(USERS))
    assert len(fake.sent()) == SUBSCRIBERS + USERS * len(expected)
    assert busiest_second(call.at for call in fake.sent()) <= RATE
    assert _senders_of_the_announcement(app) >= 2  # the processes really shared the work
    app.close()


def _live_workers(app: object) -> int:
    with app.database.transaction() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(DeliveryWorker)) or 0)


def _senders_of_the_announcement(app: object) -> int:
    with app.database.transaction() as session:  # type: ignore[attr-defined]
        query = select(func.count(func.distinct(OutboxItem.worker_id))).where(OutboxItem.state == OutboxState.SENT)
        return int(session.scalar(query) or 0)


async def _until(condition: Callable[[], bool], what: str, within: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await asyncio.to_thread(condition):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
