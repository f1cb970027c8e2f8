"""The Zalo webhook end to end: signed events in, `message/cs` calls to the fake Zalo out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from adapters.zalo.render import render
from adapters.zalo.signature import compute_mac
from adapters.zalo.webhook import ROUTE
from bot import texts
from bot.app import create_app
from bot.messages import Inbound
from bot.server import create_web_app
from bot.settings import Settings
from bot.storage.models import ProcessedMessage, User
from tests.support.fake_zalo import OA_ID, FakeZalo, signed_event, text_event
from tests.support.zalo_harness import ZaloHarness

USER = "8123456789012345678"
QUESTION = "làm sao để đăng ký định danh điện tử mức 2"


async def test_question_is_answered_end_to_end(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    assert await zalo.say(USER, QUESTION, "msg-q1") == 200

    console = zalo.app.handle(Inbound(channel="console", user_id="c1", chat_id="c1", text=QUESTION, message_id="c-1"))
    expected = [message["text"] for reply in console for message in render(reply)]
    assert expected, "the core always answers a question"
    assert [sent.user_id for sent in fake_zalo.sent] == [USER] * len(expected)
    assert fake_zalo.texts_to(USER) == expected
    assert all(sent.access_token == "access-0" for sent in fake_zalo.sent)
    if zalo.app.router.text_handler is not None:  # question answering is installed: the guide answers
        assert "mức 2" in "\n".join(expected)
        guide = "/huongdan vneid-dang-ky-muc-2"
        assert fake_zalo.sent[-1].buttons[0]["payload"] == guide  # then "a person?" and the rating pair
        await zalo.say(USER, guide, "msg-q2")  # the user taps "Xem hướng dẫn đầy đủ"
        full_guide = fake_zalo.texts_to(USER)[len(expected) :]
        assert full_guide and all(len(part) <= 2000 for part in full_guide)
        assert "mức 2" in full_guide[0].lower()


async def test_wrong_or_missing_signature_processes_nothing(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    body, headers = signed_event(text_event(USER, "xin chào", "msg-bad"))
    forged = signed_event(text_event(USER, "xin chào", "msg-bad"), secret="not-the-secret")[1]
    other_body = signed_event(text_event(USER, "khác", "msg-other"))[1]
    payload = json.loads(body)
    wrong_app = compute_mac("999", body, payload["timestamp"], "oa-secret-key-for-tests")
    attempts = [
        ({"Content-Type": "application/json"}, body),
        (forged, body),
        (other_body, body),
        ({"X-ZEvent-Signature": headers["X-ZEvent-Signature"].removeprefix("mac=")}, body),
        ({"X-ZEvent-Signature": "mac=" + wrong_app}, body),
        ({"X-ZEvent-Signature": "mac="}, body),
        (headers, body + b" "),
        (headers, b"\xff\xfe not json"),
        ({"X-ZEvent-Signature": "mac=00"}, b""),
    ]
    for attempt_headers, attempt_body in attempts:
        assert await zalo.post_raw(attempt_body, attempt_headers) == 403
    await zalo.settle()
    assert fake_zalo.attempts == 0
    with zalo.app.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessedMessage)) == 0


async def test_event_from_another_app_is_refused(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    body, headers = signed_event({**text_event(USER, "xin chào", "msg-x"), "app_id": "42"})
    assert await zalo.post_raw(body, headers) == 403
    assert fake_zalo.attempts == 0


async def test_retried_event_is_processed_once(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    body, headers = signed_event(text_event(USER, "/trogiup", "msg-retry"))
    statuses = [await zalo.post_raw(body, headers) for _ in range(3)]
    await zalo.settle()
    assert await zalo.post_raw(body, headers) == 200  # Zalo's later retry, after we answered
    await zalo.settle()
    assert statuses == [200, 200, 200]
    assert len(fake_zalo.sent) == len(render(zalo.app.handle(Inbound("console", "c", "c", "/trogiup", "x"))[0]))
    with zalo.app.database.transaction() as session:
        count = select(func.count()).select_from(ProcessedMessage).where(ProcessedMessage.channel == "zalo")
        assert session.scalar(count) == 1


async def test_unknown_and_malformed_events_get_200_and_nothing_else(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    events: list[dict[str, Any]] = [
        {"event_name": "user_seen_message", "sender": {"id": OA_ID}, "recipient": {"id": USER}},
        {"event_name": "oa_send_text", "sender": {"id": OA_ID}, "recipient": {"id": USER}, "message": {}},
        {"event_name": "something_new"},
        {"event_name": "user_send_text", "sender": {"id": USER}},  # no message
        {"event_name": "user_send_text", "sender": {}, "message": {"msg_id": "a", "text": "hi"}},
        {"event_name": "user_send_text", "sender": {"id": USER}, "message": {"text": "no id"}},
        {"event_name": "user_send_location", "sender": {"id": USER}, "message": {"msg_id": "l", "attachments": []}},
        {"event_name": "follow", "follower": {"id": ""}},
    ]
    for event in events:
        assert await zalo_lite.post(event) == 200
    await zalo_lite.settle()
    assert fake_zalo.attempts == 0


async def test_numeric_ids_are_strings(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    event = {**text_event(USER, "xin chào", "m"), "sender": {"id": int(USER)}, "message": {"msg_id": 9, "text": "hi"}}
    assert await zalo_lite.post(event) == 200
    await zalo_lite.settle()
    assert [sent.user_id for sent in fake_zalo.sent] == [USER]
    assert "Xin chào" in fake_zalo.sent[0].text


async def test_location_and_media_get_polite_replies(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    location = {
        "event_name": "user_send_location",
        "sender": {"id": USER},
        "recipient": {"id": OA_ID},
        "message": {
            "msg_id": "loc-1",
            "text": "",
            "attachments": [
                {"type": "location", "payload": {"coordinates": {"latitude": "10.76", "longitude": "106.66"}}}
            ],
        },
    }
    image = {
        "event_name": "user_send_image",
        "sender": {"id": USER},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": "img-1", "attachments": [{"type": "image", "payload": {"url": "https://x/y.jpg"}}]},
    }
    sticker = {**image, "event_name": "user_send_sticker", "message": {"msg_id": "st-1", "attachments": []}}
    for event in (location, image, sticker):
        assert await zalo_lite.post(event) == 200
        await zalo_lite.settle()
    assert fake_zalo.texts_to(USER) == [
        texts.LOCATION_NOT_EXPECTED,
        texts.ATTACHMENT_NOT_SUPPORTED,
        texts.ATTACHMENT_NOT_SUPPORTED,
    ]


async def test_reply_is_retried_after_a_rate_limit(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    fake_zalo.fail_next(-32)
    await zalo_lite.say(USER, "xin chào", "msg-rl")
    assert fake_zalo.attempts == 2
    assert len(fake_zalo.sent) == 1 and "Xin chào" in fake_zalo.sent[0].text


async def test_events_of_one_user_are_answered_in_order(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    for number in range(5):
        assert await zalo_lite.post(text_event(USER, f"/khong{number}", f"order-{number}")) == 200
    await zalo_lite.settle()
    assert [text.split("/")[1].split(".")[0] for text in fake_zalo.texts_to(USER)] == [f"khong{n}" for n in range(5)]


async def test_healthz_lists_zalo(zalo_lite: ZaloHarness) -> None:
    assert zalo_lite.client is not None
    response = await zalo_lite.client.get("/healthz")
    assert "zalo" in (await response.json())["channels"]


async def test_without_zalo_settings_there_is_no_webhook_and_no_sender(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    troly = create_app(make_settings(database_url=sqlite_url))
    client = TestClient(TestServer(create_web_app(troly)))
    await client.start_server()
    try:
        body, headers = signed_event(text_event(USER, "xin chào", "off-1"))
        assert (await client.post(ROUTE, data=body, headers=headers)).status == 404
        assert "zalo" not in (await (await client.get("/healthz")).json())["channels"]
    finally:
        await client.close()
        troly.close()


async def test_a_reply_unsent_at_shutdown_is_sent_by_the_next_process(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    assert await zalo_lite.post(text_event(USER, "xin chào", "late-1")) == 200  # the event was stored
    await zalo_lite.restart()  # right after the 200: the reply is kept, then sent by the new process
    await zalo_lite.settle()
    for _ in range(100):  # the new process's push delivery loop picks the kept reply up
        if fake_zalo.sent:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a second copy would arrive now
    assert len(fake_zalo.sent) == 1 and "Xin chào" in fake_zalo.sent[0].text


async def test_many_users_at_once_each_answered_once_and_in_order(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    users = [f"8{n:018d}" for n in range(12)]
    signed = [[signed_event(text_event(user, f"/lenh{step}", f"{user}-{step}")) for user in users] for step in range(3)]
    statuses: list[int] = []
    for step in signed:  # users write at once; each user's messages arrive in order, faster than they are handled
        statuses += await asyncio.gather(*(zalo.post_raw(body, headers) for body, headers in step))
    statuses += await asyncio.gather(*(zalo.post_raw(body, headers) for body, headers in signed[0]))  # retries
    await zalo.settle()
    assert set(statuses) == {200}
    for user in users:
        assert [text.split("/")[1].split(".")[0] for text in fake_zalo.texts_to(user)] == ["lenh0", "lenh1", "lenh2"]
    with zalo.app.database.transaction() as session:
        count = select(func.count()).select_from(ProcessedMessage).where(ProcessedMessage.channel == "zalo")
        assert session.scalar(count) == 36


async def test_a_long_reply_is_sent_once_even_when_a_part_must_be_retried(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    long_text = "\n\n".join(f"Bước {n}: " + "mở ứng dụng VNeID và làm theo hướng dẫn " * 12 for n in range(10))
    zalo_lite.app.router.command("dai", lambda ctx: long_text, description="Một câu trả lời dài")
    fake_zalo.fail_attempt(2, -32)  # the second part meets a rate limit
    fake_zalo.fail_attempt(4, -500)  # the third part an unknown, transient error
    await zalo_lite.say(USER, "/dai", "long-1")
    parts = fake_zalo.texts_to(USER)
    assert len(parts) == 3 and fake_zalo.attempts == 5
    assert " ".join(" ".join(parts).split()) == " ".join(long_text.split())
