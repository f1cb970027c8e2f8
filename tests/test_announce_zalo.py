"""Announcements through the real Zalo sender against the fake Zalo OA API: the 7-day window, -230, -213."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from adapters.zalo.side_events import record_side_event
from bot.app import create_app
from bot.areas import area_by_code
from bot.extensions import DELIVERY_STATES
from bot.plugins import make_senders
from bot.settings import Settings
from bot.storage.models import User
from bot.storage.types import utcnow
from handlers.announcements.models import Target
from handlers.announcements.recipients import preview, push_channels, recipients
from handlers.announcements.status import load_status, render
from handlers.announcements.worker import DeliveryOptions, DeliveryWorker
from tests.announce_helpers import add_residents, import_sample
from tests.support.fake_zalo import FakeZalo, received_event, seen_event, zalo_settings
from tests.test_announce_outbox import queue


async def test_zalo_window_and_refusals_end_as_skipped(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    fake = await FakeZalo().start()
    troly = create_app(make_settings(database_url=database_url, **zalo_settings(fake)))
    try:
        import_sample(troly)
        fresh = add_residents(troly, "22-UB", 5, channel="zalo", prefix="8400")
        (old,) = add_residents(troly, "22-UB-K3", 1, channel="zalo", prefix="8500", last_seen=utcnow() - timedelta(8))
        (gone_quiet,) = add_residents(troly, "22-UB", 1, channel="zalo", prefix="8600")
        (unfollowed,) = add_residents(troly, "22-UB", 1, channel="zalo", prefix="8700")
        fake.fail_user(gone_quiet, -230)
        fake.fail_user(unfollowed, -213)
        with troly.database.transaction() as session:
            area = area_by_code(session, "22-UB")
            assert area is not None
            people = recipients(session, area.id, Target.SUBSCRIBERS)
            counts = preview(people, troly.policies, push_channels(troly.plugins), utcnow())
        assert counts.channels["zalo"].total == 8 and counts.channels["zalo"].unreachable == 1
        assert counts.channels["zalo"].window_days == 7
        number = queue(troly, "22-UB")
        senders = make_senders(troly)
        worker = DeliveryWorker(troly.database, senders, troly.policies, DeliveryOptions(poll_seconds=0.05))
        await asyncio.wait_for(worker.run(asyncio.Event(), exit_when_idle=True), timeout=30)
        for sender in senders.values():
            await sender.aclose()
        with troly.database.transaction() as session:
            status = load_status(session, number)
            blocked = set(session.scalars(select(User.channel_user_id).where(User.blocked.is_(True))))
    finally:
        troly.close()
        await fake.close()
    assert sorted(sent.user_id for sent in fake.sent) == sorted(fresh)
    assert status is not None and status.done
    assert status.channels["zalo"]["sent"] == 5 and status.channels["zalo"]["skipped"] == 3
    assert status.reasons["outside_window"] == 1 and status.reasons["blocked"] == 1
    assert [reason for reason in status.reasons if reason.startswith("unreachable")] != []
    assert old not in {sent.user_id for sent in fake.sent}
    assert blocked == {unfollowed}


async def test_zalos_own_window_figure_and_receipts_reach_the_announcement_report(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    """A resident quiet for us but who interacted with the OA in ways we never see gets the announcement;
    Zalo's delivered and seen receipts show in the report."""
    fake = await FakeZalo().start()
    troly = create_app(make_settings(database_url=sqlite_url, **zalo_settings(fake)))
    try:
        import_sample(troly)
        fresh = add_residents(troly, "22-UB", 2, channel="zalo", prefix="8400")
        (called,) = add_residents(troly, "22-UB", 1, channel="zalo", prefix="8500", last_seen=utcnow() - timedelta(9))
        (quiet,) = add_residents(troly, "22-UB", 1, channel="zalo", prefix="8600", last_seen=utcnow() - timedelta(9))
        fake.last_interactions[called] = int((utcnow() - timedelta(days=1)).timestamp() * 1000)
        fake.last_interactions[quiet] = int((utcnow() - timedelta(days=20)).timestamp() * 1000)
        number = queue(troly, "22-UB")
        senders = make_senders(troly)
        worker = DeliveryWorker(troly.database, senders, troly.policies, DeliveryOptions(poll_seconds=0.05))
        await asyncio.wait_for(worker.run(asyncio.Event(), exit_when_idle=True), timeout=30)
        for sender in senders.values():
            await sender.aclose()
        by_user = {sent.user_id: sent.message_id for sent in fake.sent}
        with troly.database.transaction() as session:
            record_side_event(troly.database, received_event(fresh[0], by_user[fresh[0]]), utcnow(), lambda _: True)
            record_side_event(troly.database, seen_event(called, [by_user[called]]), utcnow(), lambda _: True)
            status = load_status(session, number, troly.extensions[DELIVERY_STATES])
    finally:
        troly.close()
        await fake.close()
    assert sorted(by_user) == sorted([*fresh, called])
    assert status is not None and status.reasons == {"outside_window": 1}
    assert status.receipts == {"zalo": {"delivered": 2, "seen": 1}}
    assert "trong đó 2 đã nhận trên điện thoại, 1 đã xem" in render(status)
