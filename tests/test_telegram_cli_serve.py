"""`troly serve` as a real process: a POSTed question reaches the fake Bot API as the core's answer."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp

from bot.app import create_app
from bot.settings import Settings
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import free_port
from tests.support.serve_process import wait_healthy
from tests.support.telegram_updates import post_update, text_update

SECRET = "cli-secret"
ROOT = Path(__file__).resolve().parents[1]


async def test_troly_serve_answers_a_telegram_question(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    question = "Cài VNeID thế nào?"
    reference = create_app(make_settings(database_url=f"sqlite:///{tmp_path / 'ref.db'}"))
    expected = [reply.text for reply in reference.handle(inbound(question))]
    reference.close()
    port = free_port()
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TROLY_DATA_DIR": str(tmp_path / "var"),
               "TROLY_PORT": str(port), "TROLY_TELEGRAM_TOKEN": fake.token, "TROLY_TELEGRAM_API_URL": fake.api_url,
               "TROLY_TELEGRAM_WEBHOOK_SECRET": SECRET, "TROLY_TELEGRAM_RATE": "100"}  # fmt: skip
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=tmp_path)
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(session, url, process)
            response = await post_update(session, url, text_update(31, question), SECRET)
            assert response.status == 200
            await fake.wait_for("sendMessage", len(expected), chat_id=31, timeout=10)
        finally:
            process.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(process.wait(), 30) == 0
    assert fake.plain_texts(31) == expected
