"""Zalo token refresh: on expiry errors, before expiry, once at a time, stored before use, loud on failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from adapters.zalo.models import ZaloToken
from adapters.zalo.tokens import REFRESH_FAILED_ACTION, TokenStore
from bot.messages import Outbound
from bot.senders import SendStatus
from bot.settings import Settings
from bot.storage.models import AuditLog
from bot.storage.types import utcnow
from tests.support.fake_zalo import APP_ID, FakeZalo
from tests.support.zalo_harness import ZaloHarness

USER = "8123456789012345678"


def _row(harness: ZaloHarness) -> ZaloToken:
    with harness.app.database.transaction() as session:
        row = session.get(ZaloToken, APP_ID)
        assert row is not None
        session.expunge(row)
        return row


async def test_expired_token_is_refreshed_and_the_rotated_pair_survives_a_restart(
    zalo: ZaloHarness, fake_zalo: FakeZalo
) -> None:
    await zalo.say(USER, "xin chào", "t-1")
    assert [sent.access_token for sent in fake_zalo.sent] == ["access-0"]

    fake_zalo.expire_access_tokens()
    await zalo.say(USER, "xin chào", "t-2")
    assert len(fake_zalo.sent) == 2
    first = fake_zalo.refreshes[0]
    assert (first.refresh_token, first.ok) == ("refresh-0", True)
    assert fake_zalo.sent[1].access_token == fake_zalo.access_token != "access-0"
    row = _row(zalo)
    assert (row.access_token, row.refresh_token) == (fake_zalo.access_token, first.issued_refresh_token)
    assert row.expires_at is not None and row.expires_at > utcnow() + timedelta(hours=24)

    await zalo.restart()  # same settings (still the first pair), same database
    await zalo.say(USER, "xin chào", "t-3")
    assert fake_zalo.sent[2].access_token == fake_zalo.access_token  # the stored token, not the settings' one
    fake_zalo.expire_access_tokens()
    await zalo.say(USER, "xin chào", "t-4")
    assert [(r.refresh_token, r.ok) for r in fake_zalo.refreshes] == [
        ("refresh-0", True),
        (first.issued_refresh_token, True),
    ]
    assert len(fake_zalo.sent) == 4 and fake_zalo.sent[3].access_token == fake_zalo.access_token


async def test_concurrent_sends_refresh_once(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    users = [f"81234567890123456{n:02d}" for n in range(6)]
    for number, user in enumerate(users):
        await zalo_lite.say(user, "xin chào", f"c-{number}")
    fake_zalo.expire_access_tokens()
    fake_zalo.refresh_delay = 0.2
    results = await asyncio.gather(*(zalo_lite.sender.send(user, Outbound("Thông báo")) for user in users))
    assert all(result.ok for result in results)
    assert len(fake_zalo.refreshes) == 1 and fake_zalo.max_concurrent_refreshes == 1


async def test_two_processes_never_refresh_at_once(
    zalo: ZaloHarness, fake_zalo: FakeZalo, zalo_settings_for: Callable[..., Settings], database_url: str
) -> None:
    """`troly serve` and `troly deliver` share the database; the row lock makes the second reuse the first's token."""
    await zalo.say(USER, "xin chào", "p-1")
    other = await ZaloHarness(zalo_settings_for(fake_zalo, database_url)).start()
    try:
        fake_zalo.expire_access_tokens()
        fake_zalo.refresh_delay = 0.3
        results = await asyncio.gather(
            zalo.sender.send(USER, Outbound("một")), other.sender.send(USER, Outbound("hai"))
        )
    finally:
        await other.stop()
    assert [result.status for result in results] == [SendStatus.SENT, SendStatus.SENT]
    assert [(r.refresh_token, r.ok) for r in fake_zalo.refreshes] == [("refresh-0", True)]
    assert fake_zalo.max_concurrent_refreshes == 1


async def test_token_is_refreshed_before_it_expires(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "e-1")
    with zalo_lite.app.database.transaction() as session:
        session.execute(update(ZaloToken).values(expires_at=utcnow() + timedelta(minutes=5)))
    await zalo_lite.restart()
    await zalo_lite.say(USER, "xin chào", "e-2")
    assert len(fake_zalo.refreshes) == 1
    assert fake_zalo.attempts == 2  # no refused call: the refresh came first
    assert fake_zalo.sent[1].access_token == fake_zalo.access_token


async def test_failed_refresh_is_loud_audited_and_not_hammered(
    zalo: ZaloHarness, fake_zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    await zalo.say(USER, "xin chào", "f-1")
    fake_zalo.revoke_refresh_token()
    fake_zalo.expire_access_tokens()
    with caplog.at_level(logging.ERROR, logger="adapters.zalo.tokens"):
        first = await zalo.sender.send(USER, Outbound("một"))
        second = await zalo.sender.send(USER, Outbound("hai"))
    assert first.status is SendStatus.TRANSIENT and "refresh failed" in first.detail
    assert second.status is SendStatus.TRANSIENT
    assert len(fake_zalo.refreshes) == 1 and not fake_zalo.refreshes[0].ok
    assert any("ZALO TOKEN REFRESH FAILED" in record.getMessage() for record in caplog.records)
    with zalo.app.database.transaction() as session:
        audits = session.scalars(select(AuditLog).where(AuditLog.action == REFRESH_FAILED_ACTION)).all()
        assert len(audits) == 1 and "Invalid refresh token" in audits[0].details["reason"]
    row = _row(zalo)
    assert row.refresh_token == "refresh-0"  # nothing was lost: the stored pair is unchanged


async def test_a_new_pair_in_the_settings_restarts_the_chain(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo, zalo_settings_for: Callable[..., Settings], sqlite_url: str
) -> None:
    """After an admin authorises the app again, the new pair from the environment replaces the dead chain."""
    await zalo_lite.say(USER, "xin chào", "n-1")
    fake_zalo.expire_access_tokens()
    fake_zalo.access_token, fake_zalo.refresh_token = "access-new", "refresh-new"
    fake_zalo.start_token("access-new")
    await zalo_lite.stop()
    fresh = zalo_settings_for(fake_zalo, sqlite_url, zalo_access_token="access-new", zalo_refresh_token="refresh-new")
    restarted = await ZaloHarness(fresh).start()
    try:
        await restarted.say(USER, "xin chào", "n-2")
        assert fake_zalo.sent[-1].access_token == "access-new"
        assert _row(restarted).refresh_token == "refresh-new"
    finally:
        await restarted.stop()


async def test_keeper_refreshes_a_token_of_unknown_age_without_traffic(
    fake_zalo: FakeZalo, zalo_settings_for: Callable[..., Settings], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import adapters.zalo

    monkeypatch.setattr(adapters.zalo, "KEEPER_INTERVAL", 0.05)
    harness = await ZaloHarness(zalo_settings_for(fake_zalo, sqlite_url)).start()
    try:
        for _ in range(200):
            if fake_zalo.refreshes:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # later checks find a fresh token and do nothing
        assert [(r.refresh_token, r.ok) for r in fake_zalo.refreshes] == [("refresh-0", True)]
        row = _row(harness)
        assert row.expires_at is not None and row.refresh_token == fake_zalo.refresh_token
        assert fake_zalo.attempts == 0  # no message was needed to keep the chain alive
    finally:
        await harness.stop()


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    for _ in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_a_slow_refresh_blocks_no_writer_and_no_other_process(zalo: ZaloHarness, fake_zalo: FakeZalo) -> None:
    """The call to Zalo's OAuth server holds a lease on the token row, not a database lock."""
    await zalo.say(USER, "xin chào", "w-1")
    fake_zalo.expire_access_tokens()
    fake_zalo.refresh_delay = 2.0
    used = (await zalo.sender.tokens.current()).access_token
    refresh = asyncio.create_task(zalo.sender.tokens.refresh(used))
    await _until(lambda: fake_zalo.refreshing == 1)

    def write_elsewhere() -> bool:
        with zalo.app.database.transaction() as session:  # any writer of any process (SQLite: the writer lock)
            session.add(AuditLog(actor_label="test", action="test.write"))
        return fake_zalo.refreshing == 1

    def other_process_claims() -> bool:
        other = TokenStore(zalo.app.database, APP_ID, "access-0", "refresh-0")
        return other.claim(used, "other-process").busy_until is not None

    assert await asyncio.to_thread(write_elsewhere), "the writer waited for Zalo's answer"
    assert await asyncio.to_thread(other_process_claims), "another process could refresh at the same time"
    assert fake_zalo.refreshing == 1  # both answered while Zalo was still thinking
    fresh = await refresh
    assert fresh.access_token == fake_zalo.access_token != used
    row = _row(zalo)
    assert (row.access_token, row.lease_owner, row.lease_until) == (fresh.access_token, None, None)


async def test_a_lease_left_by_a_dead_process_lapses(zalo_lite: ZaloHarness, fake_zalo: FakeZalo) -> None:
    await zalo_lite.say(USER, "xin chào", "d-1")
    with zalo_lite.app.database.transaction() as session:
        session.execute(update(ZaloToken).values(lease_owner="dead", lease_until=utcnow() + timedelta(seconds=0.5)))
    fake_zalo.expire_access_tokens()
    result = await zalo_lite.sender.send(USER, Outbound("một"))
    assert result.status is SendStatus.SENT
    assert [(r.refresh_token, r.ok) for r in fake_zalo.refreshes] == [("refresh-0", True)]
    assert _row(zalo_lite).lease_owner is None


async def test_a_refresh_whose_lease_was_taken_over_does_not_overwrite_the_row(
    zalo_lite: ZaloHarness, fake_zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    await zalo_lite.say(USER, "xin chào", "t-1")
    fake_zalo.refresh_delay = 0.5
    used = (await zalo_lite.sender.tokens.current()).access_token
    refresh = asyncio.create_task(zalo_lite.sender.tokens.refresh(used))
    await _until(lambda: fake_zalo.refreshing == 1)
    with zalo_lite.app.database.transaction() as session:  # as if our lease had lapsed and another took over
        session.execute(update(ZaloToken).values(lease_owner="other", access_token="access-other"))
    with caplog.at_level(logging.ERROR, logger="adapters.zalo.tokens"):
        fresh = await refresh
    assert fresh.access_token == "access-other" and _row(zalo_lite).refresh_token == "refresh-0"
    assert any("took the token lease over" in record.getMessage() for record in caplog.records)
