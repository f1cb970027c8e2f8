"""JSON from the outside, read with bounds: channels send shallow objects, so anything nested deeper than a
real update is refused before it reaches code that walks it (str(), pickling for a core worker, logging).

A body nested a thousand levels makes the json module itself raise RecursionError, which is not a ValueError
and so escaped the webhooks' error handling as a 500; here both are one `PayloadError`.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # real Telegram and Zalo payloads are under 10 levels deep


class PayloadError(ValueError):
    """The body is not JSON we are willing to read."""


def load_json(body: bytes | str) -> Any:
    """The parsed body; PayloadError for invalid JSON, bad UTF-8 or nesting too deep for the parser."""
    try:
        return json.loads(body)
    except RecursionError:
        raise PayloadError("JSON nested too deeply") from None
    except ValueError as error:  # includes UnicodeDecodeError and json.JSONDecodeError
        raise PayloadError(f"not JSON: {error}") from None


def deeper_than(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than `limit` levels in `value` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
