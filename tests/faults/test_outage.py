"""Done when: a database outage and a full disk lose nothing. While the database cannot store an update, the
webhook answers 503 (Telegram delivers it again) and nobody gets an apology; /healthz says what is wrong; once
the database is back every update has been processed exactly once.

Before: with PostgreSQL stopped for 5 s, or the data disk full, the webhook answered 200 (the user got an
apology) and 119 of 119 and 150 of 150 visits sent in that time were lost; /healthz stayed 200 on a full disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot import texts
from bot.app import create_app
from bot.settings import Settings
from bot.storage.models import ProcessedMessage
from tests.helpers import inbound
from tests.support.fake_telegram import FakeTelegram
from tests.support.postgres import PostgresServer, free_port, postgres_server
from tests.support.processes import TelegramDelivery, start_serve, stop, troly_env
from tests.support.telegram_updates import text_update

QUESTION = "xin chào"


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test alone (it is stopped in the middle)."""
    try:
        with postgres_server() as server:
            yield server
    except RuntimeError as error:
        if os.environ.get("TROLY_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL unavailable: {error}")


async def test_a_database_outage_is_answered_503_and_every_update_is_processed_once_after(
    make_settings: Callable[..., Settings], own_postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = make_settings(database_url=own_postgres.url)
    expected = _expected_replies(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = troly_env(settings.data_dir, own_postgres.url, fake, telegram_rate=100, core_workers=1)
        serve = await start_serve(env, port, tmp_path / "serve.log")
        try:
            calls = TelegramDelivery(session, url)
            sending = asyncio.gather(
                *(_later(n * 0.15, calls.deliver(text_update(7000 + n, QUESTION))) for n in range(60))
            )
            await asyncio.sleep(2.0)
            await asyncio.to_thread(own_postgres.stop)
            await asyncio.sleep(0.5)
            health = await session.get(f"{url}/healthz")
            ready = await session.get(f"{url}/readyz")
            await asyncio.sleep(4.5)
            await asyncio.to_thread(own_postgres.start)
            assert all(await sending)  # every update was answered 200 in the end
            await fake.wait_for("sendMessage", 60 * len(expected), timeout=60)
        finally:
            code, _seconds = await stop(serve)
    assert code == 0
    assert health.status == 503 and (await health.json())["database"] is False
    assert ready.status == 503 and "database" in (await ready.json())["reasons"]
    assert calls.redelivered() > 5  # the outage really refused updates, which came again
    assert all(fake.plain_texts(7000 + n) == expected for n in range(60))  # each once, none lost
    assert not any(texts.APOLOGY in text for text in fake.plain_texts())
    assert _processed(settings) == {str(update_id) for update_id in calls.attempts}


async def test_a_full_disk_is_answered_503_and_every_update_is_processed_once_after(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    with small_disk(disk, megabytes=16):
        settings = make_settings(data_dir=disk / "var", database_url=f"sqlite:///{disk / 'var' / 'troly.db'}")
        expected = _expected_replies(settings)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
            env = troly_env(settings.data_dir, settings.resolved_database_url, fake, telegram_rate=100,
                            min_free_disk_mb=1)  # fmt: skip
            serve = await start_serve(env, port, tmp_path / "serve.log")
            try:
                calls = TelegramDelivery(session, url)
                assert await calls.deliver(text_update(8000, QUESTION))
                await fake.wait_for("sendMessage", len(expected), chat_id=8000)
                filler = fill(disk, settings.resolved_database_url)
                sending = asyncio.gather(*(calls.deliver(text_update(8001 + n, QUESTION)) for n in range(30)))
                await asyncio.sleep(3.0)
                health = await session.get(f"{url}/healthz")
                refused = sum(1 for statuses in calls.attempts.values() if statuses and statuses[0] == 503)
                filler.unlink()  # the operator makes room
                assert all(await sending)
                await fake.wait_for("sendMessage", 31 * len(expected), timeout=60)
            finally:
                code, _seconds = await stop(serve)
        assert code == 0
        assert health.status == 503 and (await health.json())["disk"] is False
        assert refused > 0  # updates that came while the disk was full were refused, not acknowledged
        assert all(fake.plain_texts(8000 + n) == expected for n in range(31))
        assert not any(texts.APOLOGY in text for text in fake.plain_texts())
        assert _processed(settings) == {str(update_id) for update_id in calls.attempts}


@contextlib.contextmanager
def small_disk(path: Path, megabytes: int) -> Iterator[None]:
    """A tmpfs of `megabytes` at `path`, or a skip saying why there cannot be one here."""
    path.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("a small disk needs root to mount a tmpfs (run the tests as root to include this test)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(disk: Path, database_url: str) -> Path:
    """Make the database's write-ahead log start empty (so a write must take new space), then fill the disk."""
    with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as sink:
        try:
            while True:
                sink.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def _expected_replies(settings: Settings) -> list[str]:
    """What a Telegram user named Lan Nguyễn gets for the question (also migrates the database)."""
    app = create_app(settings)
    try:
        return [reply.text for reply in app.handle(inbound(QUESTION, channel="console", user_name="Lan Nguyễn"))]
    finally:
        app.close()


def _processed(settings: Settings) -> set[str]:
    app = create_app(settings, migrate=False)
    try:
        with app.database.transaction() as session:
            query = select(ProcessedMessage.message_id).where(ProcessedMessage.channel == "telegram")
            return set(session.scalars(query))
    finally:
        app.close()


async def _later(seconds: float, call: object) -> bool:
    await asyncio.sleep(seconds)
    return await call  # type: ignore[misc, no-any-return]
