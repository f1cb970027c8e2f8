"""`troly serve` as a real process: a POSTed question reaches the fake Bot API as the core's answer."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import free_port
from tests.support.serve_process import wait_healthy
from tests.support.telegram_updates import post_update, text_update

SECRET = "cli-secret"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("core_workers", [0, 2])
async def test_troly_serve_answers_a_telegram_question(
    tmp_path: Path, make_settings: Callable[..., Settings], core_workers: int
) -> None:
    question = "Cài VNeID thế nào?"
    reference = create_app(make_settings(database_url=f"sqlite:///{tmp_path / 'ref.db'}"))
    expected = [reply.text for reply in reference.handle(inbound(question))]
    reference.close()
    port = free_port()
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TROLY_DATA_DIR": str(tmp_path / "var"),
               "TROLY_PORT": str(port), "TROLY_TELEGRAM_TOKEN": fake.token, "TROLY_TELEGRAM_API_URL": fake.api_url,
               "TROLY_TELEGRAM_WEBHOOK_SECRET": SECRET, "TROLY_TELEGRAM_RATE": "100",
               "TROLY_CORE_WORKERS": str(core_workers)}  # fmt: skip
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "serve", env=env, cwd=tmp_path)
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(session, url, process)
            workers = child_pids(process.pid)
            assert len(workers) >= core_workers  # (the spawn method adds a resource tracker)
            update = text_update(31, question)
            others = [text_update(40 + n, question) for n in range(6)]
            responses = await asyncio.gather(
                *(post_update(session, url, body, SECRET) for body in [update, update, *others])
            )
            assert [response.status for response in responses] == [200] * 8
            for chat in [31, *range(40, 46)]:
                await fake.wait_for("sendMessage", len(expected), chat_id=chat, timeout=10)
        finally:
            process.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(process.wait(), 30) == 0
    assert fake.plain_texts(31) == expected  # once, though the update was delivered twice at the same time
    assert all(fake.plain_texts(chat) == expected for chat in range(40, 46))
    assert not await still_running(workers)  # no worker outlives the server


async def still_running(pids: list[int]) -> list[str]:
    """The command lines of those processes still alive (not zombies) after a short grace period."""
    alive: list[str] = []
    for _ in range(50):
        alive = [text for text in map(_command_line, pids) if text]
        if not alive:
            break
        await asyncio.sleep(0.1)
    return alive


def _command_line(pid: int) -> str:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return "" if state == "Z" else Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is `parent` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return children
