"""The senders' limiter keeps every one-second window within the configured rate, from the very first send."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.ratelimit import smooth_limiter


@pytest.mark.parametrize("rate", [25.0, 10.0])
async def test_no_one_second_window_exceeds_the_rate(rate: float) -> None:
    limiter = smooth_limiter(rate)
    stamps: list[float] = []
    start = time.monotonic()

    async def send() -> None:
        async with limiter:
            stamps.append(time.monotonic() - start)

    await asyncio.gather(*(send() for _ in range(int(rate * 2))))
    busiest = max(sum(1 for other in stamps if stamp <= other < stamp + 1.0) for stamp in stamps)
    assert busiest <= rate
    assert stamps[-1] >= 1.0  # twice the rate cannot go out within one second
