"""Core worker processes (TROLY_CORE_WORKERS): same answers as the core, each message once, dead workers replaced."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.settings import DEFAULT_PLUGINS, Settings
from bot.storage.models import ProcessedMessage, PushMessage, User
from bot.workers import ProcessRunner, start_runner
from tests.helpers import inbound, joined

SLOW_PLUGINS = (*DEFAULT_PLUGINS, "tests.support.slow_plugin")


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[ProcessRunner]:
    """The server's way: the app migrated and prepared here, then the workers."""
    troly = create_app(settings)
    runner = await start_runner(troly)
    assert isinstance(runner, ProcessRunner)
    try:
        yield runner
    finally:
        await runner.aclose()
        troly.close()


async def test_workers_answer_as_the_core_does_and_handle_each_message_once(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    settings = make_settings(database_url=database_url, core_workers=2)
    question = "cai vneid ko dc"
    async with running(settings) as runner:
        pids = {worker.pid for worker in runner.workers}
        assert len(pids) == 2 and os.getpid() not in pids
        messages = [inbound(question, user=f"u{n % 10}", message_id=f"m{n}") for n in range(40)]
        replies = await asyncio.gather(*(runner.handle(message) for message in messages + messages))
    answered = [reply for reply in replies if reply]
    assert len(answered) == 40  # each message id once, though every one arrived twice at the same time
    reference = create_app(make_settings(database_url="sqlite:///" + str(settings.data_dir / "reference.db")))
    expected = joined(reference.handle(inbound(question)))
    again = joined(reference.handle(inbound(question)))  # the help line goes with a user's first answer only
    reference.close()
    assert all(joined(reply) in (expected, again) for reply in answered)
    assert sum(joined(reply) == expected for reply in answered) == 10  # one first answer per user
    check = create_app(settings, migrate=False)
    with check.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 40
        assert session.scalar(select(func.count()).select_from(User)) == 10
    check.close()


async def test_a_killed_worker_is_replaced_and_its_message_handled_by_another(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    settings = make_settings(database_url=sqlite_url, core_workers=2, plugins=SLOW_PLUGINS, admin_chats="telegram:9")
    async with running(settings) as runner:
        slow = asyncio.create_task(runner.handle(inbound("/cham 2", user="c1", message_id="slow")))
        await asyncio.sleep(0.5)
        busy = next(worker for worker in runner.workers if worker.waiting)
        os.kill(busy.pid or 0, signal.SIGKILL)
        reply = joined(await asyncio.wait_for(slow, 30))
        assert reply.startswith("xong ") and reply != f"xong {busy.pid}"
        for _ in range(600):  # the replacement starts in the background
            if len(runner.workers) == 2:
                break
            await asyncio.sleep(0.1)
        pids = {worker.pid for worker in runner.workers}
        assert len(pids) == 2 and busy.pid not in pids
        assert "xong" in joined(await runner.handle(inbound("/cham 0", user="c2")))
    check = create_app(settings, migrate=False)
    with check.database.transaction() as session:  # the operators were told
        alert = session.scalar(select(PushMessage).where(PushMessage.chat_id == "9"))
        assert alert is not None and f"pid {busy.pid}" in alert.text and "khởi động lại" in alert.text
    with check.database.transaction() as session:  # the killed transaction left nothing; the retry committed
        claimed = session.scalars(select(ProcessedMessage.message_id).where(ProcessedMessage.message_id == "slow"))
        assert list(claimed) == ["slow"]
    check.close()


async def test_workers_that_cannot_start_stop_the_start_with_a_clear_error(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    settings = make_settings(
        database_url=sqlite_url, core_workers=2, plugins=(*DEFAULT_PLUGINS, "tests.support.broken_plugin")
    )
    runner = ProcessRunner(settings, 2)
    with pytest.raises(RuntimeError, match="failed to start"):
        await runner.start()
    assert runner.workers == []


async def test_stopping_waits_for_the_message_being_handled(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    settings = make_settings(database_url=sqlite_url, core_workers=1, plugins=SLOW_PLUGINS)
    async with running(settings) as runner:
        slow = asyncio.create_task(runner.handle(inbound("/cham 1", user="c3")))
        await asyncio.sleep(0.3)
        processes = [worker.process for worker in runner.workers]
        await runner.aclose()
        assert "xong" in joined(await slow)
        assert all(process.exitcode == 0 for process in processes)
