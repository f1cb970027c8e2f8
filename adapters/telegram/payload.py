"""The parts of a Telegram update troly reads, checked for type before PTB turns them into objects.

PTB's `de_json` trusts the Bot API: a number where text belongs, a list as `from.id` or a coordinate of 10^30
become attributes of the wrong type that fail later, somewhere in PTB or in the core, as a 500 or a dead
core worker. Telegram itself never sends such an update; whoever holds the webhook secret could. So the
webhook checks the fields the adapter uses (and only those: new Bot API fields pass untouched) and drops the
update when one is off, answering 200 and logging it once per kind (adapters/telegram/unparseable.py: a
refused update would be retried by Telegram forever).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bot.payloads import MAX_DEPTH, deeper_than


def update_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with the update's shape, or None when troly can read it."""
    if deeper_than(data, MAX_DEPTH):
        return f"nested more than {MAX_DEPTH} levels"
    for kind, check in _CHECKS.items():
        if kind in data:
            problem = check(data[kind]) if isinstance(data[kind], dict) else "is not an object"
            if problem:
                return f"{kind}: {problem}"
    return None


def _message(message: dict[str, Any]) -> str | None:
    return (
        _chat(message.get("chat"))
        or _optional(message, "from", _user)
        or _optional_text(message, "text")
        or _optional_text(message, "caption")
        or _optional(message, "location", _location)
        or _optional(message, "venue", lambda venue: _location(venue.get("location")))
    )


def _callback_query(query: dict[str, Any]) -> str | None:
    return (
        _user(query.get("from"))
        or _optional_text(query, "data")
        or _optional(query, "message", lambda message: _chat(message.get("chat")))
    )


def _chat_member(change: dict[str, Any]) -> str | None:
    new_member = change.get("new_chat_member")
    if not isinstance(new_member, dict) or not isinstance(new_member.get("status"), str):
        return "new_chat_member.status is not text"
    return _chat(change.get("chat")) or _user(change.get("from"))


def _chat(chat: Any) -> str | None:
    if not isinstance(chat, dict) or not _is_int(chat.get("id")) or not isinstance(chat.get("type"), str):
        return "chat is not an object with an integer id and a type"
    return None


def _user(user: Any) -> str | None:
    if not isinstance(user, dict) or not _is_int(user.get("id")):
        return "from is not an object with an integer id"
    for name in ("first_name", "last_name", "username"):
        if name in user and not isinstance(user[name], str):
            return f"from.{name} is not text"
    return None


def _location(location: Any) -> str | None:
    if not isinstance(location, dict):
        return "location is not an object"
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if not (_is_coordinate(latitude, 90) and _is_coordinate(longitude, 180)):
        return "location has no valid latitude and longitude"
    return None


def _optional(holder: dict[str, Any], key: str, check: Callable[[Any], str | None]) -> str | None:
    if key not in holder:
        return None
    return check(holder[key]) if isinstance(holder[key], dict) else f"{key} is not an object"


def _optional_text(holder: dict[str, Any], key: str) -> str | None:
    return f"{key} is not text" if key in holder and not isinstance(holder[key], str) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _is_coordinate(value: Any, bound: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and abs(value) <= bound


_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "message": _message,
    "callback_query": _callback_query,
    "my_chat_member": _chat_member,
}
