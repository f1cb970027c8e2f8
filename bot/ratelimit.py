"""Rate limiters for channel senders that never exceed their rate in any one-second window."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

SLICES_PER_SECOND = 10


def smooth_limiter(rate: float) -> AsyncLimiter:
    """At most `rate` sends per second, spread over tenths of a second.

    `AsyncLimiter(rate, 1.0)` starts with a full bucket and lets `rate` sends through at once, so a bulk
    announcement could send twice the limit in its first second; a bucket of a tenth of that refilled ten times a
    second keeps every one-second window within the limit.
    """
    return AsyncLimiter(max(1.0, rate / SLICES_PER_SECOND), 1.0 / SLICES_PER_SECOND)
