"""The issue's "done when", with `troly serve` as a real process in front of the fake Zalo.

A signed question is answered through `message/cs`; a wrong signature leads to nothing; after an
expired-token error the answer goes out with a refreshed token; a restarted server uses the rotated
refresh token (the settings still hold the first, now used, one).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from adapters.zalo.render import render
from adapters.zalo.webhook import ROUTE
from bot.app import create_app
from bot.settings import Settings
from tests.helpers import inbound
from tests.support.fake_zalo import FakeZalo, signed_event, text_event, zalo_settings
from tests.support.postgres import free_port
from tests.support.serve_process import wait_healthy

ROOT = Path(__file__).resolve().parents[2]
USER = "8123456789012345678"
QUESTION = "Đăng ký định danh điện tử mức 2 như thế nào?"


@asynccontextmanager
async def serving(fake: FakeZalo, data_dir: Path) -> AsyncIterator[str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TROLY_DATA_DIR": str(data_dir), "TROLY_PORT": str(port)}
    env.update({f"TROLY_{name.upper()}": str(value) for name, value in zalo_settings(fake).items()})
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=data_dir.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            health = await wait_healthy(session, url, process)
        assert "zalo" in health["channels"]
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def _post(url: str, user: str, text: str, msg_id: str, *, secret: str | None = None) -> int:
    body, headers = signed_event(text_event(user, text, msg_id), **({"secret": secret} if secret else {}))
    async with aiohttp.ClientSession() as session, session.post(url + ROUTE, data=body, headers=headers) as response:
        return response.status


async def test_done_when(tmp_path: Path, fake_zalo: FakeZalo, make_settings: Callable[..., Settings]) -> None:
    reference = create_app(make_settings(database_url=f"sqlite:///{tmp_path / 'ref.db'}"))
    expected = [part["text"] for reply in reference.handle(inbound(QUESTION)) for part in render(reply)]
    # the help line goes with the first answer of a conversation only (handlers.questions)
    again = [part["text"] for reply in reference.handle(inbound(QUESTION)) for part in render(reply)]
    guide_answers = reference.router.text_handler is not None
    reference.close()
    data_dir = tmp_path / "var"

    async with serving(fake_zalo, data_dir) as url:
        assert await _post(url, USER, QUESTION, "q-1", secret="wrong") == 403
        assert await _post(url, USER, QUESTION, "q-1") == 200
        await fake_zalo.wait_for_sends(len(expected))
        assert fake_zalo.texts_to(USER) == expected
        if guide_answers:
            assert "mức 2" in "\n".join(expected)

        fake_zalo.expire_access_tokens()
        assert await _post(url, USER, QUESTION, "q-2") == 200
        await fake_zalo.wait_for_sends(len(expected) + len(again))
    assert fake_zalo.sent[-1].access_token == fake_zalo.access_token != "access-0"
    rotated = fake_zalo.refreshes[0].issued_refresh_token

    async with serving(fake_zalo, data_dir) as url:
        fake_zalo.expire_access_tokens()
        assert await _post(url, USER, QUESTION, "q-3") == 200
        await fake_zalo.wait_for_sends(len(expected) + 2 * len(again))
    assert [(r.refresh_token, r.ok) for r in fake_zalo.refreshes] == [("refresh-0", True), (rotated, True)]
    assert fake_zalo.texts_to(USER) == expected + again * 2
