"""Zalo's webhook signature: `X-ZEvent-Signature: mac=<hex sha256(app_id + raw body + timestamp + OA secret)>`.

The MAC is computed over the exact bytes received (re-serialising the JSON would change them), with the app
id and timestamp read from that same body, and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

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
    """The parsed event when `header` is a valid signature of `body` for our app; None otherwise."""
    if not header or not oa_secret_key:
        return None
    header = header.strip()
    if not header.lower().startswith(PREFIX):
        return None
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict) or "app_id" not in payload or "timestamp" not in payload:
        return None
    body_app_id, timestamp = str(payload["app_id"]), str(payload["timestamp"])
    expected = compute_mac(body_app_id, body, timestamp, oa_secret_key)
    if not hmac.compare_digest(expected.encode(), header[len(PREFIX) :].strip().lower().encode()):
        return None
    if app_id and body_app_id != app_id:
        return None
    return payload
