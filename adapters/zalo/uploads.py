"""Images uploaded to Zalo, remembered by content so the same chart is not uploaded again.

Zalo limits an OA to 5,000 uploads a month and forgets an upload after 7 days (a send with an expired
`attachment_id` fails with -100). A /baocao chart is the same PNG for everyone who asks on the same day, so
uploads are kept by the SHA-256 of their bytes for `KEEP` (a margin inside Zalo's 7 days); a send that still
meets -100 forgets the upload and uploads once more.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict

KEEP_SECONDS = 6 * 24 * 3600.0  # Zalo keeps an upload 7 days; a day's margin
MAX_ENTRIES = 2_000


class UploadCache:
    """attachment ids by content hash, least recently used dropped first."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self._ids: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.uploads = 0  # uploads made by this process (each counts against Zalo's monthly limit)

    @staticmethod
    def key(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def get(self, data: bytes) -> str | None:
        key = self.key(data)
        found = self._ids.get(key)
        if found is None:
            return None
        attachment_id, uploaded = found
        if time.monotonic() - uploaded > self.keep_seconds:
            del self._ids[key]
            return None
        self._ids.move_to_end(key)
        return attachment_id

    def put(self, data: bytes, attachment_id: str) -> None:
        self.uploads += 1
        self._ids[self.key(data)] = (attachment_id, time.monotonic())
        if len(self._ids) > MAX_ENTRIES:
            self._ids.popitem(last=False)

    def forget(self, attachment_id: str) -> None:
        """Zalo says this upload expired: the next send of the same bytes uploads again."""
        for key, (known, _uploaded) in list(self._ids.items()):
            if known == attachment_id:
                del self._ids[key]
