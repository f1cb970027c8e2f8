"""Secrets never reach a log line, at any level, from our code or a library's.

python-telegram-bot and httpx log the Bot API URL at DEBUG, and the URL holds the bot token; an exception
from a failed request carries it too. Rather than trusting every library, the record factory of the logging
module redacts each record as it is created (after the level check, so silenced records cost nothing): the
configured secrets (bot token, webhook secret, Zalo secrets and tokens, the database password), anything
shaped like a Telegram bot token, `token=...`-style values and passwords in URLs. A secret that appears only
later (Zalo's rotated access token) is added with `redact_also`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import make_url

from bot.settings import Settings

MARK = "[REDACTED]"
MIN_SECRET = 6  # shorter values would redact ordinary words; no real secret is that short
MAX_LATER_SECRETS = 16

_PATTERNS = (
    re.compile(r"\d{5,15}:[A-Za-z0-9_-]{30,}"),  # a Telegram bot token, e.g. in https://api.telegram.org/bot<token>/
    re.compile(
        r"(?i)((?:access_token|refresh_token|app_secret|secret_key|client_secret|code_verifier|secret_token|password)"
        r"['\"]?\s*[:=]\s*['\"]?)([^\s'\"&,;}]+)"
    ),
    re.compile(r"(://[^:/@\s]+:)([^@/\s]+)(@)"),  # user:password@ in a URL
)
_formatter = logging.Formatter()


class Redactor:
    """Replaces known secrets and secret-shaped text in a string."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
        self._later: list[str] = []

    def add(self, secret: str) -> None:
        if len(secret) >= MIN_SECRET and secret not in self._secrets and secret not in self._later:
            self._later = [*self._later[-(MAX_LATER_SECRETS - 1) :], secret]

    def redact(self, text: str) -> str:
        for secret in (*self._secrets, *self._later):
            if secret in text:
                text = text.replace(secret, MARK)
        text = _PATTERNS[0].sub(MARK, text)
        text = _PATTERNS[1].sub(lambda match: match.group(1) + MARK, text)
        return _PATTERNS[2].sub(lambda match: match.group(1) + MARK + match.group(3), text)


class RedactingRecordFactory:
    """A log record factory: the previous factory's record, with its message and traceback redacted."""

    def __init__(self, inner: Callable[..., logging.LogRecord], redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to logging to report
            return record
        clean = self.redactor.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redactor.redact(_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return record


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret the settings hold."""
    secrets = [
        value.get_secret_value()
        for value in (
            settings.telegram_token,
            settings.telegram_webhook_secret,
            settings.zalo_app_secret,
            settings.zalo_oa_secret_key,
            settings.zalo_access_token,
            settings.zalo_refresh_token,
        )
    ]
    try:
        password = make_url(settings.resolved_database_url).password
    except Exception:  # an invalid URL is reported where it is used
        password = None
    return [*secrets, *([str(password)] if password else [])]


def install(secrets: Iterable[str]) -> Redactor:
    """Redact every log record of this process from now on (replacing a redactor installed earlier)."""
    current = logging.getLogRecordFactory()
    inner = current.inner if isinstance(current, RedactingRecordFactory) else current
    redactor = Redactor(secrets)
    logging.setLogRecordFactory(RedactingRecordFactory(inner, redactor))
    return redactor


def redact_also(secret: str) -> None:
    """A secret learnt at run time (a rotated token): redact it too, if redaction is installed."""
    current = logging.getLogRecordFactory()
    if isinstance(current, RedactingRecordFactory):
        current.redactor.add(secret)
