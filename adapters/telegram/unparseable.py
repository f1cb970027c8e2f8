"""Updates troly cannot read are acknowledged and dropped, never refused into a retry loop.

Telegram resends an update its webhook did not answer with 2xx, and in polling mode PTB asks for the same batch
again when one of its updates fails to parse: either way one odd update (a newer Bot API field that
python-telegram-bot refuses, such as a poll without `persistent_id` since Bot API 9.6, or a type the adapter
does not handle) would be retried forever and, in polling, hold up every update behind it. So an
authenticated update that fails to parse is taken as delivered: the webhook answers 200, the polling side
replaces it with an empty update (its id alone), so the offset moves on and the next update is handled.
Each kind of failure is logged once at WARNING (then at DEBUG), so a burst does not flood the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from telegram import Update

log = logging.getLogger(__name__)

KNOWN_TYPES = ("message", "callback_query", "my_chat_member")


class UnparseableUpdates:
    """Remembers which kinds of unreadable update were already reported, and how many of each came."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def report(self, data: Any, problem: str) -> str:
        """Log the first update of this kind at WARNING; returns the kind."""
        kind = f"{update_type(data)}: {problem.splitlines()[0][:160] if problem else 'unreadable'}"
        with self._lock:
            seen = self.counts.get(kind, 0)
            self.counts[kind] = seen + 1
        update_id = data.get("update_id", "?") if isinstance(data, dict) else "?"
        if seen:
            log.debug("Telegram: update %s dropped again (%s)", update_id, kind)
        else:
            log.warning("Telegram: update %s cannot be read and is dropped (acknowledged): %s", update_id, kind)
        return kind

    def readable(self, updates: Iterable[Any]) -> list[Any]:
        """The batch of a getUpdates answer with every update PTB cannot parse replaced by its bare id."""
        kept = []
        for data in updates:
            problem = parse_problem(data)
            if problem is None:
                kept.append(data)
                continue
            self.report(data, problem)
            if isinstance(data, dict) and _is_update_id(data.get("update_id")):
                kept.append({"update_id": data["update_id"]})
        return kept


def parse_problem(data: Any) -> str | None:
    """Why PTB cannot turn `data` into an Update, or None when it can."""
    if not isinstance(data, dict) or not _is_update_id(data.get("update_id")):
        return "not an update with an integer update_id"
    try:
        Update.de_json(data, None)
    except Exception as error:  # PTB raises TypeError, KeyError, ValueError... for what it cannot read
        return f"{type(error).__name__}: {error}"
    return None


def update_type(data: Any) -> str:
    """The update's type (its one content field), for grouping reports: "message", "poll", "unknown"…"""
    if not isinstance(data, dict):
        return "not an object"
    kinds = [key for key in data if key != "update_id"]
    return kinds[0] if kinds else "empty"


def _is_update_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
