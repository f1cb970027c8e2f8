"""Waiting for a `troly serve` subprocess to be ready, shared by end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp


async def wait_healthy(
    session: aiohttp.ClientSession,
    url: str,
    process: asyncio.subprocess.Process | None = None,
    *,
    within: float = 60.0,
) -> dict[str, Any]:
    """Poll /healthz until it answers 200 and return its JSON; fail early if the process exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if process is not None and process.returncode is not None:
            raise RuntimeError(f"troly serve exited with {process.returncode}")
        try:
            async with session.get(f"{url}/healthz") as response:
                if response.status == 200:
                    body: dict[str, Any] = await response.json()
                    return body
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"troly serve did not become healthy within {within:.0f} s")
