"""`troly serve`'s web application without any channel configured: /healthz answers."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp.test_utils import TestClient, TestServer

from bot.app import Troly
from bot.server import create_web_app
from bot.settings import Settings
from bot.storage.db import Database


async def test_healthz_reports_ok_and_no_channels(sqlite_app: Troly) -> None:
    async with TestClient(TestServer(create_web_app(sqlite_app))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "ok" and body["database"] is True
        assert isinstance(body["channels"], list)


async def test_healthz_is_503_when_the_database_is_unreachable(make_settings: Callable[..., Settings]) -> None:
    from tests.support.postgres import free_port

    settings = make_settings(database_url=f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none", plugins=())
    troly = Troly(settings, Database(settings.resolved_database_url), plugins=[])
    async with TestClient(TestServer(create_web_app(troly))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] is False


async def test_serve_loads_the_answerer_before_it_answers_health_checks(sqlite_app: Troly) -> None:
    from handlers.questions.services import ANSWERER

    async with TestClient(TestServer(create_web_app(sqlite_app))) as client:
        assert sqlite_app.services.built(ANSWERER)  # built during start-up, not by the first question
        assert (await client.get("/healthz")).status == 200
