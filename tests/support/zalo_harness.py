"""`troly serve`'s real web app on 127.0.0.1 configured for a fake Zalo, restartable on the same database.

Reusable by any feature that needs Zalo users (e.g. announcements): start a `FakeZalo`, build settings with
`zalo_settings(fake)`, then `await ZaloHarness(settings).start()`; `say()` posts a signed text event and
waits until it has been answered.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.zalo.sender import ZaloSender
from adapters.zalo.webhook import ROUTE, ZALO_WEBHOOK, ZaloWebhook
from bot.app import Troly, create_app
from bot.replies import REPLIES
from bot.senders import SENDERS
from bot.server import create_web_app
from bot.settings import Settings
from tests.support.fake_zalo import signed_event, text_event


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
        self.sender.reply_retry_delays = (0.05, 0.05)
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
        """Wait until every event accepted so far has been answered (the core handled it before its 200)."""
        await self.app[REPLIES].settle()
