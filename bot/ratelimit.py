"""Rate limiters for channel senders that never exceed their rate in any one-second window."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

SLICES_PER_SECOND = 20


def smooth_limiter(rate: float) -> AsyncLimiter:
    """At most `rate` sends in any one-second window, from the very first send.

    A leaky bucket of capacity `c` draining `d` per second admits at most `c + d` sends in one second.
    `AsyncLimiter(rate, 1.0)` (c = d = rate) could thus send twice the limit at the start of a bulk
    announcement. A small bucket (a twentieth of the rate, at least one send) draining at `rate - c` keeps
    every window within `rate` while still running at about 95 % of it.
    """
    capacity = max(1.0, rate / SLICES_PER_SECOND)
    drain = max(rate - capacity, rate / 2)
    return AsyncLimiter(capacity, capacity / drain)
