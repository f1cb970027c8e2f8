"""Logging set up once per process from the settings: the CLI's and each core worker process's.

Identical error lines are collapsed (`RepeatFilter`): when the machine runs out of something (open files, the
database), the same line would otherwise be written for every request, thousands a second: one attack wrote
187 MB of "Too many open files" in 20 s, filling the disk the database needs.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

from bot import redaction
from bot.settings import Settings

QUIET_LIBRARIES = ("alembic", "httpx", "sentence_transformers")
REPEAT_WINDOW = 10.0  # seconds during which a repeated line is counted instead of written
MAX_REMEMBERED = 1000  # distinct lines remembered at once


def configure_logging(settings: Settings) -> None:
    redaction.install(redaction.settings_secrets(settings))  # secrets never reach a log line, at any level
    root = logging.getLogger()
    before = set(root.handlers)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in root.handlers:
        if handler not in before:  # ours, not a host's (a test runner's capture keeps every line)
            handler.addFilter(RepeatFilter())
    if settings.log_level != "DEBUG":
        for chatty in QUIET_LIBRARIES:
            logging.getLogger(chatty).setLevel(logging.WARNING)


class RepeatFilter(logging.Filter):
    """Writes a warning or error line once per `window` seconds; its repeats meanwhile are counted and the count
    is added to the line's next appearance ("(repeated 1234 times in the last 10 s)").

    Lines are the same when their logger, level, message and exception (type and text) are; INFO and DEBUG
    lines pass untouched.
    """

    def __init__(self, window: float = REPEAT_WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self._seen: dict[tuple[str, int, str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, record.getMessage(), _exception_of(record))
        now = self.clock()
        first, repeats = self._seen.get(key, (-self.window - 1.0, 0))
        if now - first < self.window:
            self._seen[key] = (first, repeats + 1)
            return False
        if len(self._seen) >= MAX_REMEMBERED:
            self._forget(now)
        self._seen[key] = (now, 0)
        if repeats:
            record.msg = f"{record.getMessage()} (repeated {repeats} times in the last {self.window:.0f} s)"
            record.args = None
        return True

    def _forget(self, now: float) -> None:
        self._seen = {key: seen for key, seen in self._seen.items() if now - seen[0] < self.window}
        while len(self._seen) >= MAX_REMEMBERED:
            self._seen.pop(next(iter(self._seen)))


def _exception_of(record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        return f"{type(error).__name__}: {error}"
    return ""
