"""The Zalo sender against Zalo's documented behaviour: which errors are retried, uploads kept until they
expire, and Zalo's own last-interaction figure consulted before a user is given up."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from adapters.zalo.errors import Action, classify, table
from adapters.zalo.models import ZaloProfile
from bot.alerts import ACTION_PREFIX
from bot.messages import Outbound
from bot.senders import SendStatus
from bot.storage.models import AuditLog, PushMessage, User
from bot.storage.types import utcnow
from handlers.visits.chart import render_chart
from tests.support.fake_zalo import FakeZalo
from tests.support.zalo_harness import ZaloHarness

USER = "8123456789012345678"


def test_every_documented_code_has_a_meaning_and_refusals_are_never_retried() -> None:
    documented = {0, -32, -100, -124, -200, -201, -204, -205, -209, -210, -211, -212, -213, -214, -216, -217, -218,
                  -219, -220, -221, -223, -224, -227, -230, -232, -233, -234, -235, -237, -238, -240, -241, -242,
                  -244, -248, -249, -320, -321, -403}  # fmt: skip
    assert documented <= set(table())
    for code in (-248, -249, -240, -242, -223, -209):
        assert classify(code).status is SendStatus.INVALID  # never retried by anyone
    assert classify(-123456).action is Action.RETRY_ONCE


@pytest.mark.parametrize("code", [-248, -249, -240, -242])
async def test_policy_and_permission_refusals_are_tried_once(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo, code: int
) -> None:
    await zalo_lite.say(USER, "xin chào", f"p{code}")
    attempts = fake_zalo.attempts
    fake_zalo.fail_next(code, times=3)
    result = await zalo_lite.sender.send(USER, Outbound("Thông báo"), retry_delays=(0.01, 0.01))
    assert result.status is SendStatus.INVALID and str(code) in result.detail
    assert fake_zalo.attempts == attempts + 1


async def test_an_unknown_code_is_retried_once_then_fails(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "u-1")
    zalo_lite.sender.unknown_retry_delay = 0.01
    attempts = fake_zalo.attempts
    fake_zalo.fail_next(-777, times=2)
    result = await zalo_lite.sender.send(USER, Outbound("Thông báo"), bulk=True)
    assert result.status is SendStatus.INVALID and "after one retry" in result.detail
    assert fake_zalo.attempts == attempts + 2
    fake_zalo.fail_next(-777)
    assert (await zalo_lite.sender.send(USER, Outbound("Thông báo"))).ok  # one failure, then it passed


async def test_a_permission_error_alerts_the_operators(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo.say(USER, "xin chào", "c-1")
    fake_zalo.fail_next(-223, times=2)
    assert (await zalo.sender.send(USER, Outbound("Thông báo"))).status is SendStatus.INVALID
    assert (await zalo.sender.send(USER, Outbound("Thông báo"))).status is SendStatus.INVALID
    with zalo.app.database.transaction() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == ACTION_PREFIX + "zalo.configure-223")).all()
        assert len(rows) == 1 and rows[0].details["repeats"] == 1  # once, then counted quietly
        assert "-223" in rows[0].details["text"]


async def test_a_chart_is_uploaded_once_until_zalo_forgets_it(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    png = render_chart("của tổ", [(date(2026, 11, 30), 3)], Counter({"vneid": 2}))
    assert png is not None
    await zalo_lite.say(USER, "xin chào", "i-1")
    for _ in range(3):
        assert (await zalo_lite.sender.send(USER, Outbound("Biểu đồ", image=png))).ok
    assert fake_zalo.uploads == 1
    fake_zalo.expire_uploads()  # 7 days later on Zalo's side
    assert (await zalo_lite.sender.send(USER, Outbound("Biểu đồ", image=png))).ok
    assert fake_zalo.uploads == 2
    zalo_lite.sender.uploads.keep_seconds = 0.0  # and a cached upload past its keep time is not reused
    await asyncio.sleep(0.01)
    assert (await zalo_lite.sender.send(USER, Outbound("Biểu đồ", image=png))).ok
    assert fake_zalo.uploads == 3


async def test_zalos_own_last_interaction_is_consulted_before_giving_up(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo.say(USER, "xin chào", "w-1")
    with zalo.app.database.transaction() as session:
        old = utcnow() - timedelta(days=9)
        session.execute(update(User).where(User.channel_user_id == USER).values(last_interaction_at=old))
    fake_zalo.last_interactions[USER] = int((time.time() - 3 * 86400) * 1000)  # a call, a menu tap...
    result = await zalo.sender.send(USER, Outbound("Thông báo"))
    assert result.ok and "48 hours" in result.detail
    with zalo.app.database.transaction() as session:
        user = session.scalar(select(User).where(User.channel_user_id == USER))
        profile = session.get(ZaloProfile, USER)
        assert user is not None and user.last_interaction_at is not None
        assert timedelta(days=2) < utcnow() - user.last_interaction_at < timedelta(days=4)
        assert profile is not None and profile.zalo_last_interaction is not None
        assert session.scalar(select(PushMessage)) is None
