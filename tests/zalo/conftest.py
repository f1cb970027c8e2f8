"""Fixtures for the Zalo channel: a fake Zalo on 127.0.0.1 and `troly serve`'s real web app in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.settings import Settings
from tests.support.fake_zalo import FakeZalo, zalo_settings
from tests.support.zalo_harness import ZaloHarness


@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    fake = await FakeZalo().start()
    yield fake
    await fake.close()


@pytest.fixture
def zalo_settings_for(make_settings: Callable[..., Settings]) -> Callable[[FakeZalo, str], Settings]:
    def build(fake: FakeZalo, database_url: str, **overrides: Any) -> Settings:
        return make_settings(database_url=database_url, **{**zalo_settings(fake), **overrides})

    return build


@pytest.fixture
async def zalo(
    fake_zalo: FakeZalo, zalo_settings_for: Callable[..., Settings], database_url: str
) -> AsyncIterator[ZaloHarness]:
    """The server on SQLite and on PostgreSQL."""
    harness = await ZaloHarness(zalo_settings_for(fake_zalo, database_url)).start()
    yield harness
    await harness.stop()


@pytest.fixture
async def zalo_lite(
    fake_zalo: FakeZalo, zalo_settings_for: Callable[..., Settings], sqlite_url: str
) -> AsyncIterator[ZaloHarness]:
    """The server on SQLite only, for tests whose subject is not storage."""
    harness = await ZaloHarness(zalo_settings_for(fake_zalo, sqlite_url)).start()
    yield harness
    await harness.stop()
