"""Sending on Zalo: the 7-day window, error classification, splitting, and choices as buttons and numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from adapters.zalo.render import CHOICE_HINT
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.senders import SendStatus
from bot.settings import DEFAULT_PLUGINS, Settings
from bot.storage.models import Area, AreaLevel, User
from bot.storage.types import utcnow
from tests.support.fake_zalo import OA_ID, FakeZalo, signed_event
from tests.support.zalo_harness import ZaloHarness

USER = "8123456789012345678"
OTHER = "8123456789012345999"


def _set_last_interaction(harness: ZaloHarness, user_id: str, ago: timedelta) -> None:
    with harness.app.database.transaction() as session:
        session.execute(update(User).where(User.channel_user_id == user_id).values(last_interaction_at=utcnow() - ago))


def _user(harness: ZaloHarness, user_id: str) -> User:
    with harness.app.database.transaction() as session:
        user = session.scalar(select(User).where(User.channel == "zalo", User.channel_user_id == user_id))
        assert user is not None
        session.expunge(user)
        return user


async def test_window_is_checked_before_any_call(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo.say(USER, "xin chào", "w-1")
    attempts = fake_zalo.attempts

    fresh = await zalo.sender.send(USER, Outbound("Thông báo"))
    assert fresh.ok and fresh.detail == ""
    _set_last_interaction(zalo, USER, timedelta(days=3))
    paid = await zalo.sender.send(USER, Outbound("Thông báo"))  # after the free 48 hours: allowed, reported
    assert paid.ok and "48 hours" in paid.detail
    _set_last_interaction(zalo, USER, timedelta(days=7, minutes=1))
    outside = await zalo.sender.send(USER, Outbound("Thông báo"))
    never = await zalo.sender.send(OTHER, Outbound("Thông báo"))

    assert outside.status is SendStatus.UNREACHABLE and outside.detail == "outside_window"
    assert fake_zalo.quota_calls == [USER]  # Zalo was asked for its own figure before giving up
    assert never.status is SendStatus.UNREACHABLE and "never wrote" in never.detail
    assert fake_zalo.attempts == attempts + 2


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (-230, SendStatus.UNREACHABLE),
        (-232, SendStatus.UNREACHABLE),
        (-227, SendStatus.UNREACHABLE),
        (-32, SendStatus.RATE_LIMITED),
        (-211, SendStatus.RATE_LIMITED),
        (-201, SendStatus.INVALID),
        (-223, SendStatus.INVALID),
        (-248, SendStatus.INVALID),
    ],
)
async def test_error_codes_are_classified(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo, code: int, status: SendStatus
) -> None:
    await zalo_lite.say(USER, "xin chào", "e-1")
    fake_zalo.fail_next(code)
    result = await zalo_lite.sender.send(USER, Outbound("Thông báo"), retry_delays=())
    assert result.status is status and str(code) in result.detail
    assert not _user(zalo_lite, USER).blocked


async def test_user_who_does_not_follow_is_marked_blocked(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo.say(USER, "xin chào", "b-1")
    fake_zalo.fail_user(USER, -213)
    assert (await zalo.sender.send(USER, Outbound("Thông báo"))).status is SendStatus.BLOCKED
    assert _user(zalo, USER).blocked
    attempts = fake_zalo.attempts
    assert (await zalo.sender.send(USER, Outbound("Thông báo"))).status is SendStatus.BLOCKED
    assert fake_zalo.attempts == attempts  # never tried again

    fake_zalo.fail_user(USER, None)
    await zalo.say(USER, "xin chào", "b-2")  # writing again makes them reachable
    assert not _user(zalo, USER).blocked and len(fake_zalo.texts_to(USER)) == 2


async def test_network_and_http_failures_are_transient(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "n-1")
    zalo_lite.sender.api.api_url = fake_zalo.url + "/nowhere"
    assert (await zalo_lite.sender.send(USER, Outbound("a"))).status is SendStatus.TRANSIENT
    zalo_lite.sender.api.api_url = "http://127.0.0.1:9"
    assert (await zalo_lite.sender.send(USER, Outbound("a"))).status is SendStatus.TRANSIENT


async def test_long_text_is_split_under_2000_characters(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "s-1")
    paragraphs = [f"Đoạn {n}: " + "chuyển đổi số cộng đồng " * 30 for n in range(12)]
    assert (await zalo_lite.sender.send(USER, Outbound("\n\n".join(paragraphs)))).ok
    parts = fake_zalo.texts_to(USER)[1:]
    assert len(parts) >= 3 and all(len(part) <= 2000 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(" ".join(paragraphs).split())


def _register_survey(harness: ZaloHarness, colours: tuple[str, ...]) -> None:
    def begin(ctx: Context) -> Reply:
        ctx.start_dialog("survey", "colour", {})
        return Outbound("Bạn thích màu nào?", choices=tuple(Choice(c.title(), c) for c in colours))

    def step(ctx: Context) -> Reply:
        assert ctx.dialog is not None
        if ctx.dialog.step == "colour":
            ctx.update_dialog("size", {"colour": ctx.text})
            return "Cỡ nào?"
        colour = ctx.dialog.data["colour"]
        ctx.end_dialog()
        return f"Đã ghi: {colour} {ctx.text}"

    harness.app.router.command("khaosat", begin, description="Khảo sát thử")
    harness.app.router.dialog("survey", step)


async def test_choices_are_buttons_and_numbers(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    _register_survey(zalo, ("do", "xanh"))
    await zalo.say(USER, "/khaosat", "d-1")
    question = fake_zalo.sent[-1]
    assert "1. Do\n2. Xanh" in question.text and CHOICE_HINT in question.text
    assert [(b["title"], b["type"], b["payload"]) for b in question.buttons] == [
        ("1. Do", "oa.query.show", "do"),
        ("2. Xanh", "oa.query.show", "xanh"),
    ]
    await zalo.say(USER, "2", "d-2")  # typed number
    await zalo.say(USER, "lớn", "d-3")
    await zalo.say(USER, "/khaosat", "d-4")
    await zalo.say(USER, question.buttons[0]["payload"], "d-5")  # tapped button: Zalo sends its payload as text
    await zalo.say(USER, "nhỏ", "d-6")
    texts = fake_zalo.texts_to(USER)
    assert texts[1:3] == ["Cỡ nào?", "Đã ghi: xanh lớn"]
    assert texts[4:6] == ["Cỡ nào?", "Đã ghi: do nhỏ"]


async def test_many_choices_are_numbered_text_only(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    colours = ("do", "cam", "vang", "luc", "lam", "cham", "tim")
    _register_survey(zalo_lite, colours)
    await zalo_lite.say(USER, "/khaosat", "m-1")
    assert fake_zalo.sent[-1].buttons == [] and "7. Tim" in fake_zalo.sent[-1].text
    await zalo_lite.say(USER, "6.", "m-2")
    await zalo_lite.say(USER, "vừa", "m-3")
    assert fake_zalo.texts_to(USER)[-1] == "Đã ghi: cham vừa"


async def test_refused_buttons_fall_back_to_numbered_text(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    _register_survey(zalo_lite, ("do", "xanh"))
    fake_zalo.fail_next(-201)
    await zalo_lite.say(USER, "/khaosat", "r-1")
    assert fake_zalo.sent[-1].buttons == [] and "2. Xanh" in fake_zalo.sent[-1].text
    await zalo_lite.say(USER, "1", "r-2")
    assert fake_zalo.texts_to(USER)[-1] == "Cỡ nào?"


async def test_follow_welcomes_and_unfollow_unsubscribes(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    with zalo.app.database.transaction() as session:
        session.add(Area(code="P1", name="Phường Một", level=AreaLevel.COMMUNE))
    follow = {"event_name": "follow", "oa_id": OA_ID, "follower": {"id": USER}, "source": "oa_profile"}
    body, headers = signed_event(follow)
    assert await zalo.post_raw(body, headers) == 200
    assert await zalo.post_raw(body, headers) == 200  # Zalo's retry of the same event
    await zalo.settle()
    assert len(fake_zalo.sent) == 1
    welcome = fake_zalo.sent[0]
    assert "Cảm ơn bạn đã quan tâm" in welcome.text
    assert [(b["title"], b["payload"]) for b in welcome.buttons] == [("1. Đăng ký nhận thông báo", "/dangky")]
    await zalo.say(USER, "1", "f-1")  # the real /dangky of handlers.announcements offers the wards
    assert "phường/xã nào" in fake_zalo.texts_to(USER)[-1]
    await zalo.say(USER, "1", "f-2")
    assert "đã đăng ký nhận thông báo của Phường Một" in fake_zalo.texts_to(USER)[-1]
    assert _user(zalo, USER).subscribed_area_id is not None

    assert await zalo.post({**follow, "event_name": "unfollow", "timestamp": "1700000000000"}) == 200
    await zalo.settle()
    user = _user(zalo, USER)
    assert user.blocked and user.subscribed_area_id is None
    assert len(fake_zalo.sent) == 3
    assert (await zalo.sender.send(USER, Outbound("Thông báo"))).status is SendStatus.BLOCKED


async def test_follow_without_announcements_only_welcomes(
    fake_zalo: FakeZalo, zalo_settings_for: Callable[..., Settings], sqlite_url: str
) -> None:
    plugins = tuple(name for name in DEFAULT_PLUGINS if name != "handlers.announcements")
    harness = await ZaloHarness(zalo_settings_for(fake_zalo, sqlite_url, plugins=plugins)).start()
    try:
        assert await harness.post({"event_name": "follow", "follower": {"id": USER}}) == 200
        await harness.settle()
    finally:
        await harness.stop()
    assert fake_zalo.sent[0].buttons == [] and "Cảm ơn bạn đã quan tâm" in fake_zalo.sent[0].text


async def test_bulk_sends_wait_behind_replies(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    import asyncio

    from bot.sendbudget import Limits, SendBudget

    await zalo_lite.say(USER, "xin chào", "q-1")
    sender = zalo_lite.sender
    # 3 a second: sends queue up, and a loaded machine's late start (up to a third of a second) grants no more
    # than one extra bulk slot before the replies ask (at 10 a second, CI's load let three through)
    sender.budget = SendBudget(zalo_lite.app.database, "zalo", Limits(rate=3))
    bulk = [asyncio.create_task(sender.send(USER, Outbound(f"bulk {n}"), bulk=True)) for n in range(6)]
    await asyncio.sleep(0.05)
    replies = [asyncio.create_task(sender.send(USER, Outbound(f"reply {n}"))) for n in range(3)]
    await asyncio.gather(*bulk, *replies)
    order = fake_zalo.texts_to(USER)[1:]
    last_reply = max(order.index(f"reply {n}") for n in range(3))
    assert sum(1 for text in order[:last_reply] if text.startswith("bulk")) <= 2, order


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


async def test_images_are_uploaded_then_sent(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "i-1")
    fake_zalo.expire_access_tokens()  # the upload meets an expired token first
    assert (await zalo_lite.sender.send(USER, Outbound("Biểu đồ tuần này", image=PNG))).ok
    image, caption = fake_zalo.sent[1:]
    element = image.message["attachment"]["payload"]["elements"][0]
    assert fake_zalo.images[element["attachment_id"]] == PNG and element["media_type"] == "image"
    assert caption.text == "Biểu đồ tuần này" and len(fake_zalo.refreshes) == 1


async def test_an_image_zalo_refuses_still_sends_the_text(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "i-2")
    assert (await zalo_lite.sender.send(USER, Outbound("Chỉ có chữ", image=b"not an image"))).ok
    assert (await zalo_lite.sender.send(USER, Outbound("Ảnh quá lớn", image=PNG * 600))).ok
    assert fake_zalo.texts_to(USER)[1:] == ["Chỉ có chữ", "Ảnh quá lớn"] and not fake_zalo.images
