"""Pseudonyms for the question log: a keyed hash of the user's channel id (HMAC-SHA256).

A plain hash of a Telegram or Zalo id can be reversed by hashing every plausible id; with a secret key it cannot.
The key is `TROLY_PSEUDONYM_KEY` when set (needed when several hosts share one PostgreSQL database), otherwise a
random key generated once in the data directory, readable by its owner only. Losing the key only means that
later questions of a person no longer group with their earlier ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from bot.settings import Settings

KEY_FILE = "pseudonym.key"


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must have at least 16 bytes")
        self._key = key

    def __call__(self, channel: str, user_id: str) -> str:
        digest = hmac.new(self._key, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()
        return digest[:32]


def make_pseudonymizer(settings: Settings) -> Pseudonymizer:
    configured = settings.pseudonym_key.get_secret_value()
    if configured:
        return Pseudonymizer(configured.encode())
    return Pseudonymizer(load_or_create_key(settings.data_dir / KEY_FILE))


def load_or_create_key(path: Path) -> bytes:
    """The key in `path`, created atomically on first use: processes starting together all end up with the
    same key (the first link wins; the others read it)."""
    for _ in range(50):
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            _create(path)
            continue
        if key:
            return key
        time.sleep(0.02)  # another process created the file and is about to have written it
    raise RuntimeError(f"the pseudonym key file {path} stays empty")


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(draft, path)  # atomic: fails if another process got there first
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
