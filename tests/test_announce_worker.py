"""The delivery worker against a scripted remote channel: every SendStatus ends in the right outbox state."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import Troly, create_app
from bot.senders import SendResult, SendStatus
from bot.settings import Settings
from bot.storage.models import User
from bot.storage.types import utcnow
from handlers.announcements.models import DeliveryWorker as WorkerRow
from handlers.announcements.status import load_status
from handlers.announcements.worker import DeliveryOptions, DeliveryWorker
from tests.announce_helpers import PLUGINS, add_residents, import_sample
from tests.support.loopback_channel import ScriptedSender
from tests.test_announce_outbox import queue

FAST = DeliveryOptions(concurrency=8, max_attempts=3, poll_seconds=0.02, backoff_seconds=0.01)


@pytest.fixture
def app(make_settings: Callable[..., Settings], database_url: str) -> Iterator[Troly]:
    troly = create_app(make_settings(database_url=database_url, plugins=PLUGINS))
    import_sample(troly)
    yield troly
    troly.close()


def deliver(
    app: Troly, sender: ScriptedSender, options: DeliveryOptions = FAST, clock: Callable[[], datetime] = utcnow
) -> DeliveryWorker:
    worker = DeliveryWorker(app.database, {sender.channel: sender}, app.policies, options, clock=clock)
    asyncio.run(asyncio.wait_for(worker.run(asyncio.Event(), exit_when_idle=True), timeout=30))
    return worker


def test_every_result_ends_in_the_right_state(app: Troly) -> None:
    chats = add_residents(app, "22-MC", 30)
    number = queue(app, "22-MC")
    sender = ScriptedSender()
    sender.script(chats[0], SendResult(SendStatus.RATE_LIMITED, retry_after=0.2))
    sender.script(chats[1], SendResult(SendStatus.BLOCKED, detail="Forbidden: bot was blocked by the user"))
    sender.script(chats[2], SendResult(SendStatus.TRANSIENT), SendResult(SendStatus.TRANSIENT))
    sender.script(chats[3], *[SendResult(SendStatus.TRANSIENT, detail="502")] * 5)
    sender.script(chats[4], SendResult(SendStatus.UNREACHABLE, detail="outside the 7-day window"))
    sender.script(chats[5], SendResult(SendStatus.INVALID, detail="chat not found"))
    worker = deliver(app, sender)
    delivered = Counter(chat for chat, _text in sender.delivered)
    assert set(delivered) == {chats[0], chats[2], *chats[6:]}
    assert set(delivered.values()) == {1}
    assert sender.attempts.count(chats[3]) == 3  # max_attempts
    assert sender.bulk_flags == {True}
    with app.database.transaction() as session:
        status = load_status(session, number)
        blocked = session.scalar(select(User.blocked).where(User.chat_id == chats[1]))
        assert session.scalar(select(WorkerRow).where(WorkerRow.id == worker.worker_id)) is None
    assert status is not None and status.done
    assert status.channels == {"loopback": {"queued": 0, "sending": 0, "sent": 26, "failed": 2, "skipped": 2}}
    assert status.reasons == {
        "blocked": 1,
        "unreachable: outside the 7-day window": 1,
        "invalid: chat not found": 1,
        "transient: 502": 1,
    }
    assert status.uncertain == 0
    assert blocked is True
    assert worker.sent == 26


def test_rate_limit_pauses_the_whole_channel(app: Troly) -> None:
    chats = add_residents(app, "22-MC", 10)
    queue(app, "22-MC")
    sender = ScriptedSender(latency=0.01)
    sender.script(chats[0], SendResult(SendStatus.RATE_LIMITED, retry_after=0.5))
    deliver(app, sender, DeliveryOptions(concurrency=1, poll_seconds=0.02))
    first, *later = sender.attempt_times
    assert sender.attempts[0] == chats[0]
    assert min(later) - first >= 0.5, "the channel must wait out retry_after before any other send"
    assert sorted(chat for chat, _ in sender.delivered) == sorted(chats)


def test_scheduled_announcement_waits_for_its_time(app: Troly) -> None:
    add_residents(app, "22-MC", 3)
    queue(app, "22-MC", delay=3600)
    sender = ScriptedSender()

    async def run_briefly() -> None:
        worker = DeliveryWorker(app.database, {"loopback": sender}, app.policies, FAST)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.3)
        stop.set()
        await task

    asyncio.run(run_briefly())
    assert sender.attempts == []
    deliver(app, sender, clock=lambda: utcnow() + timedelta(hours=1, seconds=1))
    assert len(sender.delivered) == 3


def test_sender_exception_is_retried_like_a_network_error(app: Troly) -> None:
    chats = add_residents(app, "22-MC", 2)
    queue(app, "22-MC")

    class Flaky(ScriptedSender):
        async def send(self, chat_id, message, *, bulk=False):  # type: ignore[no-untyped-def]
            if chat_id == chats[0] and self.attempts.count(chat_id) == 0:
                self.attempts.append(chat_id)
                raise ConnectionResetError("peer went away")
            return await super().send(chat_id, message, bulk=bulk)

    sender = Flaky()
    deliver(app, sender)
    assert sorted(chat for chat, _ in sender.delivered) == sorted(chats)


def test_two_workers_share_the_work_without_duplicates(app: Troly) -> None:
    add_residents(app, "22-MC", 200)
    number = queue(app, "22-MC")
    sender = ScriptedSender(latency=0.002)

    async def both() -> None:
        workers = [DeliveryWorker(app.database, {"loopback": sender}, app.policies, FAST) for _ in range(2)]
        await asyncio.gather(*(w.run(asyncio.Event(), exit_when_idle=True) for w in workers))
        assert all(w.sent > 0 for w in workers)

    asyncio.run(asyncio.wait_for(both(), timeout=60))
    delivered = Counter(chat for chat, _ in sender.delivered)
    assert len(delivered) == 200 and set(delivered.values()) == {1}
    with app.database.transaction() as session:
        status = load_status(session, number)
    assert status is not None and status.count("sent") == 200
