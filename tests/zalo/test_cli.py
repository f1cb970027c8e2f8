"""`troly zalo status` and `troly zalo refresh`, as an admin runs them."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select

from adapters.zalo.cli import run_refresh, run_status
from bot.settings import Settings
from bot.storage.models import PushMessage
from tests.support.fake_zalo import FakeZalo, signed_event, text_event
from tests.support.zalo_harness import ZaloHarness
from tests.test_cli import troly


def test_status_says_what_is_missing() -> None:
    result = troly("zalo", "status", env={"TROLY_ZALO_APP_ID": "123"})
    assert result.returncode == 0, result.stderr
    assert "TROLY_ZALO_APP_ID: đã đặt" in result.stdout
    assert "TROLY_ZALO_REFRESH_TOKEN: CHƯA ĐẶT" in result.stdout
    assert "chưa lưu" in result.stdout


async def test_refresh_rotates_and_status_reports_it(
    fake_zalo: FakeZalo,
    zalo_settings_for: Callable[..., Settings],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = zalo_settings_for(fake_zalo, sqlite_url)
    assert await asyncio.to_thread(run_refresh, settings, argparse.Namespace()) == 0
    assert [(r.refresh_token, r.ok) for r in fake_zalo.refreshes] == [("refresh-0", True)]
    await asyncio.to_thread(run_status, settings, argparse.Namespace())
    assert "làm mới lần cuối: 20" in capsys.readouterr().out

    fake_zalo.revoke_refresh_token()
    assert await asyncio.to_thread(run_refresh, settings, argparse.Namespace()) == 1
    await asyncio.to_thread(run_status, settings, argparse.Namespace())
    out = capsys.readouterr().out
    assert "Làm mới thất bại" in out and "Làm mới lỗi lúc" in out and "Invalid refresh token" in out


async def test_refused_signatures_raise_an_alert_that_status_shows_with_the_oas_information(
    fake_zalo: FakeZalo,
    zalo_settings_for: Callable[..., Settings],
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = zalo_settings_for(fake_zalo, sqlite_url, zalo_refused_signatures=3, admin_chats="telegram:55")
    harness = await ZaloHarness(settings).start()
    try:
        body, headers = signed_event(text_event("8123456789012345678", "xin chào", "sig-1"), secret="old-oa-key")
        for _ in range(3):
            assert await harness.post_raw(body, headers) == 403
        for _ in range(50):  # the alert is written off the event loop
            with harness.app.database.transaction() as session:
                pushed = session.scalars(select(PushMessage).where(PushMessage.chat_id == "55")).all()
            if pushed:
                break
            await asyncio.sleep(0.02)
        assert len(pushed) == 1 and "sai chữ ký" in pushed[0].text and "TROLY_ZALO_OA_SECRET_KEY" in pushed[0].text
    finally:
        await harness.stop()
    await asyncio.to_thread(run_status, settings, argparse.Namespace())
    out = capsys.readouterr().out
    assert "OA: Trợ lý số phường Móng Cái 1 (mã 4321098765432109876), đã xác thực" in out
    assert "1250 người quan tâm" in out
    assert "[zalo.signatures_refused]" in out and "3 yêu cầu" in out
