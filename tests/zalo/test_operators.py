"""Names and operators on Zalo: members' names from user/detail appear in /baocao, and the operators' chat is
told when Zalo refuses token refreshes and when the webhook has been silent past the threshold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import select

from adapters.zalo.models import ZaloProfile
from adapters.zalo.webhook import ROUTE
from bot.alerts import ACTION_PREFIX, HEADER
from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.settings import Settings
from bot.storage.models import AuditLog, Role, User
from tests.helpers import joined, say
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import FakeZalo, signed_event, text_event, zalo_settings
from tests.support.telegram_e2e import serving, telegram_settings
from tests.visits_helpers import ONE_LINE, import_sample, invite_code, join

MEMBER = "8123456789012345678"
CITIZEN = "8123456789012340000"
ADMIN_CHAT = 990099
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _settings(
    make_settings: Callable[..., Settings], fake_zalo: FakeZalo, fake_telegram: FakeTelegram, url: str
) -> Settings:
    return telegram_settings(
        make_settings,
        fake_telegram,
        database_url=url,
        admin_chats=f"telegram:{ADMIN_CHAT}",
        jobs_tick_seconds=0.05,
        push_poll_seconds=0.05,
        zalo_silence_hours=24,
        **zalo_settings(fake_zalo),
    )


@asynccontextmanager
async def _serving(troly: Troly) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    async with serving(troly) as (url, session):
        yield url, session


async def _post_zalo(session: aiohttp.ClientSession, url: str, event: dict[str, Any]) -> int:
    body, headers = signed_event(event)
    async with session.post(url + ROUTE, data=body, headers=headers) as response:
        return response.status


async def test_a_zalo_members_name_appears_in_baocao(
    make_settings: Callable[..., Settings], database_url: str, fake_zalo: FakeZalo
) -> None:
    troly = create_app(make_settings(database_url=database_url, **zalo_settings(fake_zalo)))
    try:
        import_sample(troly)
        join(troly, "totruong", role=Role.LEADER)
        code = invite_code(troly, "22-MC-K1")
        welcome = say(troly, f"/thamgia {code}", user=MEMBER, channel="zalo", user_name="")
        assert "Chào mừng" in joined(welcome)
        assert "Đã lưu" in joined(say(troly, ONE_LINE, user=MEMBER, channel="zalo", user_name=""))
        say(troly, "xin chào", user=CITIZEN, channel="zalo", user_name="")
        before = joined(say(troly, "/baocao", user="totruong"))
        assert "thành viên #" in before  # Zalo events carry no names
        fake_zalo.profiles[MEMBER] = {"display_name": "Trần  Văn Bình", "user_is_follower": True}
        fake_zalo.profiles[CITIZEN] = {"display_name": "Người Dân", "user_is_follower": True}
        ran = await asyncio.to_thread(troly.jobs.run_due, troly, datetime.now(UTC))
        assert "zalo.profiles" in ran
        report = joined(say(troly, "/baocao", user="totruong"))
        assert "• Trần Văn Bình: 1 lượt" in report
        assert fake_zalo.detail_calls == [MEMBER]  # a citizen's name is not fetched
        with troly.database.transaction() as session:
            profile = session.get(ZaloProfile, MEMBER)
            assert profile is not None and profile.is_follower is True
        fake_zalo.profiles.pop(MEMBER)  # Zalo stops answering for this user: tolerated, the name stays
        later = datetime.now(UTC) + timedelta(days=8)
        await asyncio.to_thread(troly.jobs.run_due, troly, later)
        assert "• Trần Văn Bình: 1 lượt" in joined(say(troly, "/baocao", user="totruong"))
        with troly.database.transaction() as session:
            profile = session.get(ZaloProfile, MEMBER)
            assert profile is not None and profile.failures == 1
    finally:
        troly.close()


async def test_the_admin_chat_is_told_when_zalo_refuses_token_refreshes(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    fake_zalo: FakeZalo,
    fake_telegram: FakeTelegram,
) -> None:
    troly = create_app(_settings(make_settings, fake_zalo, fake_telegram, sqlite_url))
    try:
        async with _serving(troly) as (url, session):
            fake_zalo.expire_access_tokens()
            fake_zalo.revoke_refresh_token()  # an admin revoked the app, or the refresh token lapsed
            assert await _post_zalo(session, url, text_event(MEMBER, "xin chào", "t-1")) == 200
            alerts = await fake_telegram.wait_for("sendMessage", chat_id=ADMIN_CHAT, timeout=15)
    finally:
        troly.close()
    assert alerts, "the operators' chat got nothing"
    text = fake_telegram.plain_texts(ADMIN_CHAT)[0]
    assert text.startswith(HEADER) and "làm mới mã truy cập thất bại" in text and "troly zalo status" in text
    assert "refresh-" not in text and "access-" not in text  # no secret in the alert
    with troly.database.transaction() as db:
        assert db.scalar(select(AuditLog).where(AuditLog.action == ACTION_PREFIX + "zalo.token_refresh_failed"))


async def test_the_admin_chat_is_told_when_the_webhook_has_been_silent_too_long(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    fake_zalo: FakeZalo,
    fake_telegram: FakeTelegram,
) -> None:
    clock = ManualClock(START)
    troly = create_app(_settings(make_settings, fake_zalo, fake_telegram, sqlite_url), clock=clock)
    try:
        async with _serving(troly) as (url, session):
            assert await _post_zalo(session, url, text_event(MEMBER, "xin chào", "s-1")) == 200
            await asyncio.sleep(0.5)  # the watch runs once: all quiet
            assert not fake_telegram.sent(ADMIN_CHAT)
            clock.advance(timedelta(hours=23))
            await asyncio.sleep(0.5)
            assert not fake_telegram.sent(ADMIN_CHAT)  # under the threshold
            clock.advance(timedelta(hours=2))
            alerts = await fake_telegram.wait_for("sendMessage", chat_id=ADMIN_CHAT, timeout=10)
            clock.advance(timedelta(minutes=20))
            await asyncio.sleep(0.5)
    finally:
        troly.close()
    assert len(alerts) == 1 and len(fake_telegram.sent(ADMIN_CHAT)) == 1  # rate-limited: not every 15 minutes
    text = fake_telegram.plain_texts(ADMIN_CHAT)[0]
    assert "đã 25 giờ không nhận được sự kiện nào từ Zalo" in text and "1250 người quan tâm" in text
    with troly.database.transaction() as db:
        user = db.scalar(select(User).where(User.channel_user_id == MEMBER))
        assert user is not None
