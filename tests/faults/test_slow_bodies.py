"""Done when: slow bodies and slow connections cannot starve real requests, and fill no log.

Before: request bodies never timed out (one connection held 330 s at a byte every 30 s), the Zalo route read
the whole body before checking the signature, and at the common limit of 1,024 open files 1,100 slow
connections starved real requests and wrote 187 MB of identical "Too many open files" lines in 20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.zalo.webhook import MAX_BODY as ZALO_MAX_BODY
from bot.app import Troly, create_app
from bot.httpguard import IDLE_LIMIT, SLOW_BODIES, SlowBodies
from bot.server import create_web_app
from bot.settings import Settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_zalo import FakeZalo, zalo_settings
from tests.support.postgres import free_port
from tests.support.processes import SECRET, TelegramDelivery, start_serve, stop, troly_env
from tests.support.telegram_e2e import SECRET as E2E_SECRET
from tests.support.telegram_e2e import telegram_settings
from tests.support.telegram_updates import SECRET_HEADER, text_update

OPEN_FILES = 1024
SLOW = 1100
HOLD = IDLE_LIMIT + 12  # seconds a slow client keeps trying: the server's idle limit, and time to connect them all


def _head(path: str, length: int | None, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"Content-Length: {length}"] if length is not None else ["Transfer-Encoding: chunked"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@contextlib.asynccontextmanager
async def served(app: Troly, slow_bodies: SlowBodies) -> AsyncIterator[tuple[str, int]]:
    web_app = create_web_app(app)
    web_app[SLOW_BODIES] = slow_bodies
    async with TestClient(TestServer(web_app)) as client:
        yield "127.0.0.1", client.port  # type: ignore[misc]


@pytest.fixture
def telegram_app(
    make_settings: Callable[..., Settings], sqlite_url: str, fake_telegram: FakeTelegram
) -> Iterator[Troly]:
    app = create_app(telegram_settings(make_settings, fake_telegram, database_url=sqlite_url))
    yield app
    app.close()


async def test_a_body_that_does_not_arrive_in_time_is_refused_and_its_connection_closed(telegram_app: Troly) -> None:
    async with served(telegram_app, SlowBodies(limit=2, timeout=0.5)) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(_head("/webhooks/telegram", 100, {SECRET_HEADER: E2E_SECRET}) + b'{"update_id": 1')
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(), 5)  # read() returns once the server closes
        writer.close()
    assert b" 408 " in answer.split(b"\r\n")[0]
    assert time.monotonic() - started < 3


async def test_slow_bodies_beyond_the_cap_are_refused_at_once(telegram_app: Troly) -> None:
    async with served(telegram_app, SlowBodies(limit=2, timeout=5.0)) as (host, port):
        connections = [await asyncio.open_connection(host, port) for _ in range(3)]
        for _reader, writer in connections:
            writer.write(_head("/webhooks/telegram", 100, {SECRET_HEADER: E2E_SECRET}) + b"{")
            await writer.drain()
            await asyncio.sleep(0.1)
        third = await asyncio.wait_for(connections[2][0].read(), 2)  # the first two still wait for theirs
        for _reader, writer in connections:
            writer.close()
    assert b" 503 " in third.split(b"\r\n")[0]


async def test_the_zalo_signature_check_reads_no_more_than_the_limit(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    fake = await FakeZalo().start()
    app = create_app(make_settings(database_url=sqlite_url, **zalo_settings(fake)))
    try:
        async with served(app, SlowBodies()) as (host, port):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(_head("/webhooks/zalo", None, {"X-ZEvent-Signature": "mac=00"}))
            sent, answer = 0, b""
            chunk = b"a" * 8192
            while sent < 1024 * 1024 and not answer:
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
                sent += len(chunk)
                with contextlib.suppress(TimeoutError):
                    answer = await asyncio.wait_for(reader.read(200), 0.02)
            writer.close()
        assert b" 413 " in answer.split(b"\r\n")[0]
        assert sent <= ZALO_MAX_BODY + 4 * len(chunk)  # refused as soon as the limit was passed
    finally:
        app.close()
        await fake.close()


async def test_eleven_hundred_slow_connections_at_1024_open_files_starve_nothing(
    make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < SLOW + 200:
        pytest.skip(f"this test needs {SLOW + 200} open files for its own connections (hard limit {hard})")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, SLOW + 200), hard))
    settings = make_settings(database_url=sqlite_url)
    port = free_port()
    log = tmp_path / "serve.log"
    async with FakeTelegram() as fake, aiohttp.ClientSession() as session:
        env = troly_env(settings.data_dir, sqlite_url, fake, telegram_rate=100)
        serve = await start_serve(env, port, log, preexec_fn=_limit_open_files)
        slow = [asyncio.create_task(_slow_client(port, n)) for n in range(SLOW)]
        try:
            await asyncio.sleep(3.0)  # all of them are connected (or refused) by now
            calls = TelegramDelivery(session, f"http://127.0.0.1:{port}", retry_delays=(1.0,))
            started = time.monotonic()
            answered = await asyncio.gather(
                *(_later(n * 0.3, calls.deliver(text_update(4000 + n, "xin chào"), within=15)) for n in range(20))
            )
            took = time.monotonic() - started
            await fake.wait_for("sendMessage", 20, timeout=20)
            closed = await asyncio.gather(*slow)
        finally:
            for task in slow:
                task.cancel()
            await stop(serve)
    assert all(answered) and took < 15  # every real update was taken, at once or on Telegram's first retry
    assert all(fake.sent(4000 + n) for n in range(20))
    assert sum(closed) >= SLOW * 0.9  # the server let go of the slow connections
    assert log.stat().st_size < 200_000, log.read_text(errors="replace")[-2000:]
    assert log.read_text(errors="replace").count("Too many open files") < 20


async def _slow_client(port: int, number: int) -> bool:
    """One slow connection, valid HTTP at a byte every 2 s: a header that never ends (half of them) or a body
    that never ends (the other half); True when the server closed it within HOLD seconds."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True  # refused at the door: not holding anything either
    if number % 2:
        start, drip = _head("/webhooks/telegram", 1000, {SECRET_HEADER: SECRET}) + b'{"update_id": 1,', b" "
    else:
        start, drip = b"POST /webhooks/telegram HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", b"a"
    deadline = time.monotonic() + HOLD
    try:
        writer.write(start)
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                if not await asyncio.wait_for(reader.read(1024), 2.0) or reader.at_eof():
                    return True
            writer.write(drip)
            await writer.drain()
    except (ConnectionError, OSError):
        return True
    finally:
        writer.close()
    return False


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


async def _later(seconds: float, call: object) -> bool:
    await asyncio.sleep(seconds)
    return await call  # type: ignore[misc, no-any-return]
