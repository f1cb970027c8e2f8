"""Run the real aiohttp application of `troly serve` on 127.0.0.1 (a free port) inside a test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def running_app(app: web.Application, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Start `app` with its startup hooks and cleanup contexts; yield its base URL; shut it down cleanly."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = runner.addresses[0][1]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
