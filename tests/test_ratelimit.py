"""The senders' limiter keeps every one-second window within the configured rate, from the very first send."""

from __future__ import annotations

import asyncio
import time

from bot.ratelimit import smooth_limiter


async def test_first_second_stays_within_the_rate() -> None:
    limiter = smooth_limiter(20)
    stamps: list[float] = []
    start = time.monotonic()

    async def send() -> None:
        async with limiter:
            stamps.append(time.monotonic() - start)

    await asyncio.gather(*(send() for _ in range(30)))
    assert sum(1 for stamp in stamps if stamp < 1.0) <= 20 + 2  # the initial tenth-second bucket
    assert max(stamps) >= 1.2  # 30 sends at 20/s cannot finish in the first second
