"""`troly zalo status` and `troly zalo refresh`, as an admin runs them."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

import pytest

from adapters.zalo.cli import run_refresh, run_status
from bot.settings import Settings
from tests.support.fake_zalo import FakeZalo
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
