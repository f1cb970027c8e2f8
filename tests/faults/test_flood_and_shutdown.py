"""Done when: one user's flood delays nobody else and is answered "bạn gửi nhanh quá" once; SIGTERM ends the
server within 10 s, and the replies it had not sent yet are sent by the next process: none lost, none twice.

Before: one user sent 3,000 messages at 234/s with no per-user limit, and after SIGTERM the server had not
exited 174 s later, waiting on that user's queued replies.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot import texts
from bot.app import create_app
from bot.outbox import REPLY_PRIORITY
from bot.settings import Settings
from bot.storage.models import ProcessedMessage, PushMessage, PushState
from tests.helpers import inbound
from tests.support.fake_telegram import ApiCall, FakeTelegram
from tests.support.postgres import free_port
from tests.support.processes import TelegramDelivery, start_serve, stop, troly_env
from tests.support.telegram_updates import text_update

FLOODER = 666
FLOOD = 300
BURST = 12
QUESTION = "xin chào"


async def test_a_flood_delays_nobody_and_a_stop_keeps_its_replies_for_the_next_process(
    make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url=sqlite_url)
    app = create_app(settings)
    [expected] = [reply.text for reply in app.handle(inbound(QUESTION, channel="console", user_name="Lan Nguyễn"))]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = troly_env(settings.data_dir, sqlite_url, fake, core_workers=1, telegram_rate=100, user_burst=BURST,
                        user_messages_per_minute=30)  # fmt: skip
        serve = await start_serve(env, port, tmp_path / "serve.log")
        calls = TelegramDelivery(session, url)
        try:
            latencies = await _flood_while_others_talk(calls, fake)
            await fake.wait_for("sendMessage", 3, chat_id=FLOODER)  # the burst goes out, the rest waits its turn
        finally:
            _code, seconds = await stop(serve)
        sent_before_stop = len(fake.sent(FLOODER))
        kept = _owed(app)
        serve = await start_serve(env, port, tmp_path / "serve-again.log")  # the next process
        try:
            processed = _processed_of(app, calls, FLOODER)
            await fake.wait_for("sendMessage", processed + 1, chat_id=FLOODER, timeout=processed * 2 + 10)
            await asyncio.sleep(1.5)  # anything sent twice would arrive now
        finally:
            await stop(serve)
    app.close()

    assert seconds <= 10.0, f"stopping took {seconds:.1f} s"
    assert max(latencies) < 2.0, sorted(latencies)[-5:]  # others were answered as usual during the flood
    assert all(status == 200 for statuses in calls.attempts.values() for status in statuses)
    assert BURST <= processed <= BURST + 10  # the flood was cut off, not handled
    flooder_texts = fake.plain_texts(FLOODER)
    assert flooder_texts.count(texts.TOO_FAST) == 1  # told once
    assert flooder_texts.count(expected) == processed  # every handled message answered once: none lost, none twice
    assert kept > 0 and sent_before_stop < processed + 1  # the stop really left replies to the next process
    assert _owed(app) == 0  # the next process sent every one


async def _flood_while_others_talk(calls: TelegramDelivery, fake: FakeTelegram) -> list[float]:
    """The flooder posts FLOOD messages as fast as it can while 20 people ask a question each second; returns
    the others' latencies (post to reply)."""
    arrived: dict[int, asyncio.Future[float]] = {}
    loop = asyncio.get_running_loop()

    def on_call(call: ApiCall) -> None:
        future = arrived.pop(int(call.chat_id or 0), None) if call.method == "sendMessage" else None
        if future is not None and not future.done():
            future.set_result(call.at)

    fake.listeners.append(on_call)
    flood_updates = iter([text_update(FLOODER, QUESTION) for _ in range(FLOOD)])

    async def flooder() -> None:
        for update in flood_updates:
            await calls.deliver(update)

    async def person(chat: int) -> list[float]:
        latencies = []
        for _ in range(3):
            arrived[chat] = loop.create_future()
            started = time.monotonic()
            assert await calls.deliver(text_update(chat, QUESTION))
            latencies.append(await asyncio.wait_for(arrived[chat], 10) - started)
            await asyncio.sleep(1.0)
        return latencies

    flooding = [asyncio.create_task(flooder()) for _ in range(20)]
    others = await asyncio.gather(*(person(5000 + n) for n in range(20)))
    await asyncio.gather(*flooding)
    fake.listeners.remove(on_call)
    return list(itertools.chain.from_iterable(others))


def _processed_of(app: object, calls: TelegramDelivery, chat: int) -> int:
    """How many of `chat`'s updates the core handled (those the flood gate let through)."""
    ids = [str(update_id) for update_id in calls.attempts]
    with app.database.transaction() as session:  # type: ignore[attr-defined]
        handled = set(session.scalars(select(ProcessedMessage.message_id).where(ProcessedMessage.message_id.in_(ids))))
    return len(handled & {str(update_id) for update_id in calls.attempts if calls.chats.get(update_id) == chat})


def _owed(app: object) -> int:
    """Replies kept in the push outbox and not sent yet."""
    query = select(func.count()).where(PushMessage.priority == REPLY_PRIORITY, PushMessage.state != PushState.SENT)
    with app.database.transaction() as session:  # type: ignore[attr-defined]
        return int(session.scalar(query) or 0)
