"""Poison input: bodies, headers and messages built to crash a parser or a handler get a 4xx, a logged 200 or a
polite reply in chat, never a 500 or a dead core worker, and the next honest message is answered as usual."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from bot import texts
from bot.app import Troly, create_app
from bot.messages import Attachment, Inbound, Location
from bot.settings import Settings
from bot.workers import ProcessRunner, start_runner
from tests.helpers import inbound, joined, say
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import APP_ID, FakeZalo, signed_event, text_event
from tests.support.telegram_e2e import SECRET, serving
from tests.support.telegram_updates import SECRET_HEADER, message_update, post_update, text_update, user
from tests.support.zalo_harness import ZaloHarness
from tests.visits_helpers import import_sample, join

USER = "8123456789012345678"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


async def raw_post(base_url: str, path: str, body: bytes, header: str, value: bytes) -> int:
    """An HTTP request whose header carries bytes that are not UTF-8 (an HTTP client library would refuse)."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    writer.write(head.encode() + header.encode() + b": " + value + b"\r\n\r\n" + body)
    await writer.drain()
    status_line = (await reader.readline()).decode()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


# --- Zalo ---------------------------------------------------------------------------------------------------


async def test_zalo_unauthenticated_poison_is_refused_with_403(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    for depth, refused in ((1_000, 403), (100_000, 413)):  # 200 KB is over the route's 64 KiB: refused unread
        body = f'{{"app_id": "{APP_ID}", "timestamp": "1", "x": {nested(depth)}}}'.encode()
        assert await zalo_lite.post_raw(body, {"X-ZEvent-Signature": "mac=00"}) == refused
    body, headers = signed_event(text_event(USER, "xin chào", "z-1"))
    assert zalo_lite.client is not None
    url = str(zalo_lite.client.make_url(""))
    for value in (b"mac=\xff\xfe00", headers["X-ZEvent-Signature"].encode() + b"\xc3"):
        assert await raw_post(url, "/webhooks/zalo", body, "X-ZEvent-Signature", value) == 403
    odd = {"app_id": [[APP_ID]], "timestamp": {"t": 1}, "event_name": "user_send_text"}
    assert await zalo_lite.post_raw(json.dumps(odd).encode(), {"X-ZEvent-Signature": "mac=00"}) == 403
    assert await zalo_lite.say(USER, "xin chào", "z-2") == 200
    assert len(fake_zalo.sent) == 1 and fake_zalo.sent[0].user_id == USER


def _located(msg_id: str, attachments: Any) -> dict[str, Any]:
    event = text_event(USER, "", msg_id)
    event["event_name"] = "user_send_location"
    event["message"] = {"msg_id": msg_id, "attachments": attachments}
    return event


async def test_zalo_signed_poison_gets_a_logged_200_and_changes_nothing(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    deep = text_event(USER, "xin chào", "p-1")
    deep["message"]["extra"] = json.loads(nested(200))
    listed = text_event(USER, "xin chào", "p-2")
    listed["sender"]["id"] = [1, 2]
    numeric = text_event(USER, "xin chào", "p-3")
    numeric["message"]["text"] = 12345
    poison = [
        deep,
        listed,
        numeric,
        _located("p-4", 7),
        _located("p-5", {"payload": {"coordinates": {"latitude": 1, "longitude": 2}}}),
        _located("p-6", [{"payload": {"coordinates": {"latitude": 10**30, "longitude": 106.7}}}]),
        _located("p-7", [{"payload": {"coordinates": {"latitude": 10**400, "longitude": 106.7}}}]),
        {**text_event(USER, "xin chào", "p-8"), "event_name": ["user_send_text"]},
        {**text_event(USER, "xin chào", "p-9"), "message": {"msg_id": {"a": 1}, "text": "xin chào"}},
    ]
    for event in poison:
        assert await zalo_lite.post(event) == 200, event
    await zalo_lite.settle()
    assert fake_zalo.sent == []
    ignored = [record for record in caplog.records if "signed" in record.getMessage()]
    assert len(ignored) == len(poison)
    assert await zalo_lite.say(USER, "xin chào", "p-10") == 200
    assert len(fake_zalo.sent) == 1


# --- Telegram -----------------------------------------------------------------------------------------------


async def test_telegram_poison_is_dropped_and_the_server_keeps_answering(
    tg_app: Troly, fake_telegram: FakeTelegram
) -> None:
    async with serving(tg_app) as (url, session):
        for value in (b"\xff\xfe", SECRET.encode() + b"\xc3"):
            assert await raw_post(url, "/webhooks/telegram", b'{"update_id": 1}', SECRET_HEADER, value) == 403
        number_text = text_update(5, "x")
        number_text["message"]["text"] = 123
        poison: list[Any] = [
            message_update(5, text="xin chào", sender=user(5) | {"id": [1, 2]}),
            message_update(5, text="xin chào", sender=user(5) | {"first_name": {"a": 1}}),
            number_text,
            message_update(5, location={"latitude": 10**30, "longitude": 106.7}),
            message_update(5, location={"latitude": "north", "longitude": 106.7}),
            {"update_id": 70, "callback_query": {"id": "1", "from": {"id": "5"}, "data": "1"}},
            {"update_id": 71, "my_chat_member": {"chat": {"id": 5, "type": "private"}, "from": user(5)}},
            {"update_id": 72, "message": {**text_update(5, "hi")["message"], "chat": [5]}},
            f'{{"update_id": 73, "message": {nested(1_000)}}}'.encode(),
            f'{{"update_id": 74, "message": {{"x": {nested(100)}}}}}'.encode(),
            {"update_id": 10**30, "message": text_update(5, "hi")["message"]},
        ]
        for update in poison:  # authenticated: acknowledged (Telegram would retry anything else) and dropped
            assert (await post_update(session, url, update, SECRET)).status == 200, update
        assert (await post_update(session, url, text_update(5, "xin chào"), SECRET)).status == 200
        assert await fake_telegram.wait_for("sendMessage", chat_id=5)
    assert len(fake_telegram.sent()) == 1


# --- The core -----------------------------------------------------------------------------------------------


def _malformed() -> list[Inbound]:
    """Messages an adapter should never build, each with one field of the wrong type."""
    good = inbound("xin chào")
    return [
        Inbound(**{**_fields(good), "text": 12345, "message_id": "bad-1"}),  # type: ignore[arg-type]
        Inbound(**{**_fields(good), "user_name": ["Lan"], "message_id": "bad-2"}),  # type: ignore[arg-type]
        Inbound(**{**_fields(good), "text": "", "location": Location(1e30, 2), "message_id": "bad-3"}),
        Inbound(**{**_fields(good), "attachments": "photo", "message_id": "bad-4"}),  # type: ignore[arg-type]
        Inbound(**{**_fields(good), "message_id": 42}),  # type: ignore[arg-type]
    ]


def _fields(message: Inbound) -> dict[str, Any]:
    return {name: getattr(message, name) for name in Inbound.__dataclass_fields__}


def test_the_core_apologises_for_malformed_messages_instead_of_raising(sqlite_app: Troly) -> None:
    for message in _malformed():
        assert [reply.text for reply in sqlite_app.handle(message)] == [texts.APOLOGY]
    assert "Xin chào" in joined(say(sqlite_app, "xin chào"))
    ok = Inbound(**{**_fields(inbound("")), "attachments": (Attachment("photo"),)})
    assert "chưa xem được ảnh" in joined(sqlite_app.handle(ok))


async def test_a_core_worker_survives_malformed_messages(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    troly = create_app(make_settings(database_url=sqlite_url, core_workers=1))
    runner = await start_runner(troly)
    assert isinstance(runner, ProcessRunner)
    try:
        (pid,) = [worker.pid for worker in runner.workers]
        for message in _malformed():
            assert [reply.text for reply in await runner.handle(message)] == [texts.APOLOGY]
        assert "Xin chào" in joined(await runner.handle(inbound("xin chào")))
        assert [worker.pid for worker in runner.workers] == [pid]  # the same process, never replaced
    finally:
        await runner.aclose()
        troly.close()


# --- Chat: numbers that are not choices ---------------------------------------------------------------------

NOT_NUMBERS = ("²", "①", "123456789012345678901234567890")


@pytest.fixture
def member(app: Troly) -> Troly:
    import_sample(app)
    join(app, "lan")
    say(app, "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid ; xong", user="lan")
    return app


def _no_apology(replies: list[Any]) -> str:
    text = joined(replies)
    assert texts.APOLOGY not in text
    return text


def test_odd_digits_where_a_choice_or_an_id_is_expected_get_a_polite_answer(member: Troly) -> None:
    assert "chọn một hộ bạn đã thăm gần đây" in _no_apology(say(member, "/ghinhan", user="lan"))
    for typed in NOT_NUMBERS:  # typed where the recent households are offered as 1, 2, ...
        _no_apology(say(member, typed, user="lan"))
    say(member, "/ghinhan", user="lan")
    assert "không tìm thấy hộ này" in _no_apology(say(member, "gn:hh:123456789012345678901234567890", user="lan"))
    for answer in ("Số 3 Lê Lợi", "Trần Thị Hoa"):
        say(member, answer, user="lan")
    for typed in ("1, ²", "123456789012345678901234567890", "①"):
        assert "Mình chưa hiểu" in _no_apology(say(member, typed, user="lan"))
    for answer in ("1", "tiếp tục", "xong"):
        say(member, answer, user="lan")
    for typed in NOT_NUMBERS:
        assert "Bạn gõ một số từ 0 đến 100" in _no_apology(say(member, typed, user="lan"))
    assert "ghi chú" in _no_apology(say(member, "3", user="lan"))


def test_odd_digits_as_an_announcement_number(member: Troly) -> None:
    from tests.visits_helpers import make_official

    make_official(member, "cb", "22-MC")
    for typed in NOT_NUMBERS:
        assert "Không" in _no_apology(say(member, f"/ketquathongbao {typed}", user="cb"))
