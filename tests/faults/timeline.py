"""Reading send times: the busiest one-second window, and each chat's messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence


def busiest_second(times: Iterable[float]) -> int:
    """The most times that fall in any window [t, t + 1 s)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def duplicates(items: Sequence[str]) -> list[str]:
    return sorted(item for item, count in Counter(items).items() if count > 1)
