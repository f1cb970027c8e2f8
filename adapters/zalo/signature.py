"""Zalo's webhook signature: `X-ZEvent-Signature: mac=<hex sha256(app_id + raw body + timestamp + OA secret)>`.

The MAC is computed over the exact bytes received (re-serialising the JSON would change them), with the app
id and timestamp read from that same body, and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from bot.payloads import PayloadError, load_json

HEADER = "X-ZEvent-Signature"
PREFIX = "mac="


def compute_mac(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(body)
    digest.update(timestamp.encode())
    digest.update(oa_secret_key.encode())
    return digest.hexdigest()


def sign(body: bytes, oa_secret_key: str) -> str:
    """The header value Zalo would send for `body` (used by tests and local tools)."""
    payload = json.loads(body)
    return PREFIX + compute_mac(str(payload["app_id"]), body, str(payload["timestamp"]), oa_secret_key)


def verify(body: bytes, header: str | None, oa_secret_key: str, app_id: str) -> dict[str, Any] | None:
    """The parsed event when `header` is a valid signature of `body` for our app; None otherwise.

    Anything odd is simply "not signed": a header with bytes that are not UTF-8 (aiohttp keeps them as
    surrogates, encoded back here), a body too deeply nested for the JSON parser, an app id or timestamp that
    is not a plain string or number.
    """
    if not header or not oa_secret_key:
        return None
    given = header.strip().encode("utf-8", "surrogateescape").lower()
    if not given.startswith(PREFIX.encode()):
        return None
    try:
        payload = load_json(body)
    except PayloadError:
        return None
    if not isinstance(payload, dict) or not (_plain(payload.get("app_id")) and _plain(payload.get("timestamp"))):
        return None
    body_app_id, timestamp = str(payload["app_id"]), str(payload["timestamp"])
    expected = compute_mac(body_app_id, body, timestamp, oa_secret_key)
    if not hmac.compare_digest(expected.encode(), given[len(PREFIX) :].strip()):
        return None
    if app_id and body_app_id != app_id:
        return None
    return payload


def _plain(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)
