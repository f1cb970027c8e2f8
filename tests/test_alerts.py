"""Operational alerts (bot/alerts.py): audit log and operator chats, rate-limited, deduplicated across
processes, TROLY_ADMIN_CHATS validated, and spikes of failed sends raising one alert."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import outbox
from bot.alerts import ACTION_PREFIX, HEADER, AdminChat, Alerts, FailureSpike, alerts, parse_admin_chats
from bot.app import Troly, create_app
from bot.clock import ManualClock
from bot.messages import Outbound
from bot.push_delivery import PushDelivery, PushOptions
from bot.senders import SendResult, SendStatus
from bot.settings import Settings, SettingsError, load_settings
from bot.storage.models import AuditLog, PushMessage

START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_admin_chats_are_channel_id_pairs() -> None:
    settings = load_settings(admin_chats="telegram:123456789, zalo:8421")
    assert parse_admin_chats(settings.admin_chats) == (AdminChat("telegram", "123456789"), AdminChat("zalo", "8421"))
    for wrong in ("123456789", "telegram:", "telegram:1:2"):
        with pytest.raises(SettingsError, match="TROLY_ADMIN_CHATS"):
            load_settings(admin_chats=wrong)


def _alerts(make_settings: Callable[..., Settings], database_url: str, clock: ManualClock) -> Troly:
    return create_app(make_settings(database_url=database_url, admin_chats="telegram:11,zalo:22"), clock=clock)


def test_an_alert_goes_to_every_operator_chat_and_the_audit_log_once_per_period(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    clock = ManualClock(START)
    troly = _alerts(make_settings, database_url, clock)
    try:
        raised = [alerts(troly).raise_alert("zalo.test", "Zalo: thử cảnh báo", {"n": 1}) for _ in range(3)]
        clock.advance(timedelta(minutes=61))
        raised.append(alerts(troly).raise_alert("zalo.test", "Zalo: thử cảnh báo", {"n": 2}))
        other = Alerts(troly.database, parse_admin_chats(troly.settings.admin_chats), timedelta(hours=1), clock)
        with troly.database.transaction() as session:  # another process's Alerts object
            assert other.raise_in(session, "zalo.test", "Zalo: thử cảnh báo", now=clock.now()) is False
        with troly.database.transaction() as session:
            pushes = session.scalars(select(PushMessage).order_by(PushMessage.id)).all()
            audit = session.scalars(select(AuditLog).where(AuditLog.action == ACTION_PREFIX + "zalo.test")).all()
            assert [(push.channel, push.chat_id) for push in pushes] == [("telegram", "11"), ("zalo", "22")] * 2
            assert pushes[0].text == f"{HEADER}\nZalo: thử cảnh báo"
            assert [row.details.get("repeats", 0) for row in audit] == [2, 1]
    finally:
        troly.close()
    assert raised == [True, False, False, True]


class FailingSender:
    channel = "loopback"

    async def send(self, chat_id: str, message: Outbound, *, bulk: bool = False) -> SendResult:
        return SendResult(SendStatus.INVALID, detail="chat not found")

    async def aclose(self) -> None:
        return None


async def test_a_spike_of_failed_pushes_raises_one_alert(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    clock = ManualClock(START)
    troly = _alerts(make_settings, sqlite_url, clock)
    try:
        with troly.database.transaction() as session:
            for number in range(5):
                outbox.push(session, channel="loopback", chat_id=f"c{number}", message=Outbound("tin"), now=clock.now())
        spike = FailureSpike(alerts(troly), threshold=3)
        delivery = PushDelivery(troly.database, {"loopback": FailingSender()}, {}, clock, PushOptions(), spike)
        await delivery.step()
        await asyncio.gather(*list(spike._tasks))
        with troly.database.transaction() as session:
            audit = session.scalars(
                select(AuditLog).where(AuditLog.action == ACTION_PREFIX + "delivery.loopback")
            ).all()
            assert len(audit) == 1 and "3 tin nhắn gửi qua loopback bị lỗi" in audit[0].details["text"]
    finally:
        troly.close()
