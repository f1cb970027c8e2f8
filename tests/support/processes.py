"""Real `troly serve` and `troly deliver` processes (fault tests, soak benchmark), and a webhook caller that retries
like Telegram does (a non-200 answer or a broken connection: the update comes again, later)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.fake_telegram import FakeTelegram
from tests.support.serve_process import wait_healthy
from tests.support.telegram_updates import SECRET_HEADER

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fault-secret"


def troly_env(data_dir: Path, database_url: str, fake: FakeTelegram, **settings: Any) -> dict[str, str]:
    """The environment of a troly process on this database, with Telegram pointed at the fake."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "TROLY_DATA_DIR": str(data_dir),
        "TROLY_DATABASE_URL": database_url,
        "TROLY_TELEGRAM_TOKEN": fake.token,
        "TROLY_TELEGRAM_API_URL": fake.api_url,
        "TROLY_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TROLY_LOG_LEVEL": "WARNING",
        "TROLY_CORE_WORKERS": "0",
    }
    env.update({f"TROLY_{name.upper()}": str(value) for name, value in settings.items()})
    return env


async def start(env: Mapping[str, str], log: Path, *args: str, **options: Any) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` with stdout and stderr appended to `log`."""
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=dict(env), cwd=str(ROOT), stdout=sink, stderr=sink, **options
        )


async def start_serve(env: Mapping[str, str], port: int, log: Path, **options: Any) -> asyncio.subprocess.Process:
    process = await start({**env, "TROLY_PORT": str(port)}, log, "serve", **options)
    async with aiohttp.ClientSession() as session:
        try:
            await wait_healthy(session, f"http://127.0.0.1:{port}", process, within=120)
        except RuntimeError:
            await stop(process)
            output = await asyncio.to_thread(log.read_text, errors="replace")
            raise RuntimeError(f"troly serve did not start:\n{output[-3000:]}") from None
    return process


async def stop(process: asyncio.subprocess.Process, within: float = 30.0) -> tuple[int | None, float]:
    """SIGTERM, then wait: (exit code, seconds it took); killed (code None) if it outlives `within`."""
    started = time.monotonic()
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
    try:
        code: int | None = await asyncio.wait_for(process.wait(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        code = None
    return code, time.monotonic() - started


@dataclass
class TelegramDelivery:
    """Posts updates to the webhook as Telegram does: anything but 200 means "try again later"."""

    session: aiohttp.ClientSession
    url: str
    retry_delays: tuple[float, ...] = (0.3, 0.5, 1.0, 1.0, 2.0)
    attempts: dict[int, list[int]] = field(default_factory=dict)  # update id -> statuses (0: no answer)
    chats: dict[int, int] = field(default_factory=dict)  # update id -> the chat it came from

    async def deliver(self, update: dict[str, Any], *, within: float = 60.0) -> bool:
        """True once the webhook answered 200; False if it never did within `within` seconds."""
        deadline = time.monotonic() + within
        statuses = self.attempts.setdefault(update["update_id"], [])
        self.chats[update["update_id"]] = update.get("message", {}).get("chat", {}).get("id", 0)
        attempt = 0
        while time.monotonic() < deadline:
            statuses.append(await self._post(update))
            if statuses[-1] == 200:
                return True
            await asyncio.sleep(self.retry_delays[min(attempt, len(self.retry_delays) - 1)])
            attempt += 1
        return False

    async def _post(self, update: dict[str, Any]) -> int:
        try:
            async with self.session.post(
                f"{self.url}/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:  # fmt: skip
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    def redelivered(self) -> int:
        """Updates that needed more than one attempt."""
        return sum(1 for statuses in self.attempts.values() if len(statuses) > 1)
