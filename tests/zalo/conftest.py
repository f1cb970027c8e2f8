"""Fixtures for the Zalo channel: a fake Zalo on 127.0.0.1 and `troly serve`'s real web app in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.zalo.sender import ZaloSender
from adapters.zalo.webhook import ROUTE, ZALO_WEBHOOK, ZaloWebhook
from bot.app import Troly, create_app
from bot.senders import SENDERS
from bot.server import create_web_app
from bot.settings import Settings
from tests.support.fake_zalo import FakeZalo, signed_event, text_event, zalo_settings


class ZaloHarness:
    """One running `troly serve` (web app + senders) on a database; `restart()` starts a fresh process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.troly: Troly | None = None
        self.client: TestClient[web.Request, web.Application] | None = None

    async def start(self) -> ZaloHarness:
        self.troly = create_app(self.settings)
        web_app = create_web_app(self.troly)
        self.client = TestClient(TestServer(web_app))
        await self.client.start_server()
        self.webhook.retry_delays = (0.05, 0.05)
        self.sender.rate_limit_pause = 0.1
        return self

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None
        if self.troly is not None:
            self.troly.close()
            self.troly = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def app(self) -> Troly:
        assert self.troly is not None
        return self.troly

    @property
    def webhook(self) -> ZaloWebhook:
        assert self.client is not None
        return self.client.app[ZALO_WEBHOOK]

    @property
    def sender(self) -> ZaloSender:
        sender = self.app[SENDERS]["zalo"]
        assert isinstance(sender, ZaloSender)
        return sender

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> int:
        assert self.client is not None
        response = await self.client.post(ROUTE, data=body, headers=headers)
        await response.read()
        return response.status

    async def post(self, event: dict[str, Any]) -> int:
        body, headers = signed_event(event)
        return await self.post_raw(body, headers)

    async def say(self, user_id: str, text: str, msg_id: str) -> int:
        status = await self.post(text_event(user_id, text, msg_id))
        await self.settle()
        return status

    async def settle(self) -> None:
        """Wait until every event accepted so far has been handled and answered."""
        while self.webhook.tasks:
            await asyncio.gather(*self.webhook.tasks, return_exceptions=True)


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
