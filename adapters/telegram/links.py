"""Telegram's invite deep link, `https://t.me/<bot username>?start=<CODE>` (bot/onboarding.py).

Opening it shows the bot with a «Bắt đầu» (Start) button that sends `/start CODE`, which redeems the invite.
The username comes from the Bot API's getMe: `troly serve` learns it at start-up (PTB calls getMe) and
writes it to `<data dir>/telegram-bot.json`, so every process of the installation (a core worker, `troly
invite`) reads it from there; when it is missing, a caller that may use the network (`fetch=True`: the
command line, the web console) asks getMe once and keeps the answer. The file is keyed by the bot id (the
token's first part), so a new token with another bot is asked again. PTB is not imported here.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import urllib.error
import urllib.request
from typing import Any

from bot.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CACHE_FILE = "telegram-bot.json"
GET_ME_TIMEOUT = 5.0
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram accepts after ?start=
USERNAME = re.compile(r"[A-Za-z0-9_]{5,64}")


class TelegramLinks:
    """The `InviteLinker` of the Telegram channel."""

    channel = CHANNEL
    label = "Telegram"

    def __init__(self, settings: Settings) -> None:
        token = settings.telegram_token.get_secret_value()
        self._token = token
        self._api_url = settings.telegram_api_url
        self.bot_id = token.split(":", 1)[0]
        self.cache = settings.data_dir / CACHE_FILE
        self._username = ""
        self._lock = threading.Lock()

    def link(self, code: str, *, fetch: bool = False) -> str | None:
        if not START_PARAMETER.fullmatch(code):
            return None
        username = self.username(fetch=fetch)
        return f"https://t.me/{username}?start={code}" if username else None

    def username(self, *, fetch: bool = False) -> str:
        """The bot's username: remembered, else from the file, else (with `fetch`) from getMe; "" if unknown."""
        with self._lock:
            if not self._username:
                self._username = self._read_cache()
            if not self._username and fetch:
                self._username = self._get_me()
                if self._username:
                    self._write_cache(self._username)
            return self._username

    def remember(self, username: str) -> None:
        """What getMe said at start-up (the server calls this), kept for every process."""
        if not USERNAME.fullmatch(username):
            return
        with self._lock:
            self._username = username
            if self._read_cache() != username:
                self._write_cache(username)

    def _read_cache(self) -> str:
        try:
            data: Any = json.loads(self.cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        if not isinstance(data, dict) or data.get("bot_id") != self.bot_id:
            return ""
        username = data.get("username")
        return username if isinstance(username, str) and USERNAME.fullmatch(username) else ""

    def _write_cache(self, username: str) -> None:
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.cache.with_suffix(".tmp")
            temporary.write_text(json.dumps({"bot_id": self.bot_id, "username": username}), encoding="utf-8")
            temporary.replace(self.cache)
        except OSError as error:
            log.warning("Telegram: could not keep the bot's username in %s: %s", self.cache, error.strerror)

    def _get_me(self) -> str:
        """Ask the Bot API; failures give "" (the invite is still shown, without the link)."""
        if not self._token:
            return ""
        url = f"{self._api_url}{self._token}/getMe"
        try:
            with urllib.request.urlopen(url, timeout=GET_ME_TIMEOUT) as response:
                body: Any = json.loads(response.read())
        except (OSError, ValueError) as error:  # never the URL in the log: it holds the token
            log.warning("Telegram: getMe failed (%s); invite links are left out for now", type(error).__name__)
            return ""
        result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
        username = result.get("username") if isinstance(result, dict) else None
        return username if isinstance(username, str) and USERNAME.fullmatch(username) else ""
