"""What each channel allows, and splitting long text to fit it.

Channel plugins describe themselves with a `ChannelPolicy`; the core and features use it to split replies,
and to know whether a push message to a user is still allowed (Zalo's consultation window).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    name: str
    max_text_chars: int
    push_window: timedelta | None = None  # None: the channel may message a user at any time
    # True when the channel's sender checks the window itself with the channel's own figure (Zalo counts
    # interactions troly never sees): a user outside our window must then not be skipped before asking it.
    verifies_window: bool = False

    def can_push(self, last_interaction: datetime | None, now: datetime) -> bool:
        """Whether a message to a user whose last message came at `last_interaction` may be sent now."""
        if self.push_window is None:
            return True
        if last_interaction is None:
            return False
        return now - last_interaction < self.push_window


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, preferring paragraph, then line, then word ends."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not chunks:
        chunks.append(text)
    return chunks


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for separator in ("\n\n", "\n", ". ", " "):
        position = window.rfind(separator, 0, limit)
        if position > limit // 3:
            return position + len(separator)
    return limit
