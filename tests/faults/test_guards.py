"""The smaller guards on their own: the flood gate, collapsed log lines, /readyz and /healthz, and replies
kept by a stopping process for the next one."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.exc import OperationalError

from bot import texts
from bot.app import Troly
from bot.floodgate import FloodGate, Verdict, gate_reply
from bot.logs import RepeatFilter
from bot.messages import Choice, Outbound
from bot.push_delivery import PushDelivery
from bot.replies import ReplyQueue
from bot.senders import SendResult, SendStatus
from bot.server import SHUTDOWN, create_web_app
from tests.helpers import inbound
from tests.support.loopback_channel import ScriptedSender


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_flood_gate_lets_a_burst_through_warns_once_then_drops_and_forgives() -> None:
    clock = Clock()
    gate = FloodGate(burst=3, per_minute=60, clock=clock)
    verdicts = [gate.admit("telegram", "flooder") for _ in range(6)]
    assert verdicts == [Verdict.PASS] * 3 + [Verdict.WARN] + [Verdict.DROP] * 2
    assert gate.admit("telegram", "someone else") is Verdict.PASS  # nobody else pays for it
    clock.now += 1.0  # one message a second comes back
    assert gate.admit("telegram", "flooder") is Verdict.PASS
    assert gate.admit("telegram", "flooder") is Verdict.DROP  # still the same flood: not told again
    clock.now += 10.0  # calm again
    assert [gate.admit("telegram", "flooder") for _ in range(4)] == [Verdict.PASS] * 3 + [Verdict.WARN]


def test_only_messages_are_gated_and_the_note_is_polite_vietnamese() -> None:
    gate = FloodGate(burst=1, per_minute=1)
    assert gate_reply(gate, inbound("a", user="x")) is None
    [note] = gate_reply(gate, inbound("b", user="x")) or []
    assert note.text == texts.TOO_FAST and "nhanh quá" in note.text
    assert gate_reply(gate, inbound("c", user="x")) == []
    assert gate_reply(gate, inbound("", user="x", event="unfollow")) is None  # events always pass


def test_identical_error_lines_are_collapsed_and_counted() -> None:
    clock = Clock()
    repeat = RepeatFilter(window=10.0, clock=clock)
    error = OSError(24, "Too many open files")
    records = [_record("socket.accept() out of system resource", error) for _ in range(1000)]
    written = [record for record in records if repeat.filter(record)]
    assert len(written) == 1
    other = _record("another problem", None)
    assert repeat.filter(other)  # a different line is not held back
    assert not repeat.filter(records[1]) and repeat.filter(records[0])  # a record is judged once for all handlers
    clock.now = 11.0
    again = _record("socket.accept() out of system resource", OSError(24, "Too many open files"))
    assert repeat.filter(again) and "repeated 999 times" in again.getMessage()
    assert repeat.filter(_record("just information", None, logging.INFO))


def _record(message: str, error: BaseException | None, level: int = logging.ERROR) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord("asyncio", level, __file__, 1, message, None, exc_info)


async def test_readyz_says_when_the_process_should_not_take_traffic(sqlite_app: Troly) -> None:
    web_app = create_web_app(sqlite_app)
    async with TestClient(TestServer(web_app)) as client:
        ready = await client.get("/readyz")
        ready_body = await ready.json()
        health = await (await client.get("/healthz")).json()
        web_app[SHUTDOWN].begin()
        stopping = await client.get("/readyz")
        stopping_body = await stopping.json()
    assert ready.status == 200 and ready_body["ready"] is True
    assert health["database"] is True and health["disk"] is True and health["disk_free_mb"] > 0
    assert stopping.status == 503 and stopping_body["reasons"] == ["stopping"]


async def test_healthz_fails_when_the_data_disk_is_short_of_space(
    make_settings: Callable[..., object], sqlite_url: str
) -> None:
    from bot.app import create_app

    troly = create_app(make_settings(database_url=sqlite_url, min_free_disk_mb=10**9))  # type: ignore[operator]
    try:
        async with TestClient(TestServer(create_web_app(troly))) as client:
            response = await client.get("/healthz")
            body = await response.json()
    finally:
        troly.close()
    assert response.status == 503 and body["disk"] is False and body["database"] is True


async def test_replies_a_stopping_process_could_not_send_are_sent_by_the_next(sqlite_app: Troly) -> None:
    stopping = ScriptedSender()
    stopping.script("chat-1", SendResult(SendStatus.SENT), SendResult(SendStatus.DEFERRED))
    first = ReplyQueue(sqlite_app.database, {"loopback": stopping}, sqlite_app.clock)
    buttons = (Choice("Có", "co"), Choice("Không", "khong"))
    first.submit("loopback", "chat-1", "user-1", [Outbound("một"), Outbound("hai", choices=buttons), Outbound("ba")])
    await asyncio.sleep(0.3)
    assert len(stopping.attempts) == 2  # "hai" met the database away: it waits to be tried again
    await first.aclose(grace=0.5)  # the process stops before that
    assert stopping.delivered == [("chat-1", "một")]

    following = ScriptedSender()  # the next process: its push delivery loop sends what was kept, in order
    delivery = PushDelivery(sqlite_app.database, {"loopback": following}, {}, sqlite_app.clock)
    assert await delivery.step() == 2
    assert following.delivered == [("chat-1", "hai"), ("chat-1", "ba")]
    assert await delivery.step() == 0  # each once


class DatabaseAwayOnce(ScriptedSender):
    """A channel whose sender meets the database away on its first call (Zalo checks its window there)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        if not self.failed:
            self.failed = True
            raise OperationalError("SELECT users", {}, sqlite3.OperationalError("unable to open database file"))
        return await super().send(chat_id, message, bulk=bulk)


async def test_a_reply_whose_sender_meets_the_database_away_waits_and_is_sent(sqlite_app: Troly) -> None:
    sender = DatabaseAwayOnce()
    queue = ReplyQueue(sqlite_app.database, {"loopback": sender}, sqlite_app.clock)
    queue.submit("loopback", "chat-2", "user-2", [Outbound("một"), Outbound("hai")])
    await queue.settle()
    await queue.aclose(grace=1.0)
    assert sender.failed and sender.delivered == [("chat-2", "một"), ("chat-2", "hai")]
