"""Running `troly serve`'s web app with Telegram configured against a FakeTelegram, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bot.app import Troly
from bot.server import ServeOptions, create_web_app
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.web import running_app

SECRET = "s3cret_Test-token"


def telegram_settings(make_settings: Callable[..., Settings], fake: FakeTelegram, **overrides: Any) -> Settings:
    """Settings pointing PTB at the fake server; a high overall rate so tests are not throttled by default."""
    values: dict[str, Any] = {
        "telegram_token": fake.token,
        "telegram_api_url": fake.api_url,
        "telegram_webhook_secret": SECRET,
        "telegram_rate": 1000,
    }
    return make_settings(**(values | overrides))


@asynccontextmanager
async def serving(troly: Troly, *, polling: bool = False) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """The real web app (senders, PTB, routes) on a free port, and a client session to call it."""
    app = create_web_app(troly, ServeOptions(polling=polling))
    async with running_app(app) as url, aiohttp.ClientSession() as session:
        yield url, session
