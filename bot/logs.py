"""Logging set up once per process from the settings: the CLI's and each core worker process's.

Records at TROLY_LOG_LEVEL go to a log file (TROLY_LOG_FILE, by default troly.log in the data directory) so
that an interactive command such as `troly chat` shows only the conversation: its stderr gets warnings and
errors. A service (`serve`, `deliver`) also sends every record to stderr, where systemd's journal keeps it.
The file handler reopens the file when logrotate has moved it (deploy/logrotate/troly), so no copy-truncate
is needed. `TROLY_LOG_FORMAT=json` writes one JSON object per record, for log collectors.

Identical warning and error lines are collapsed (`RepeatFilter`, on both handlers): when the machine runs out of
something (open files, the database), the same line would otherwise be written for every request, thousands a
second: one attack wrote 187 MB of "Too many open files" in 20 s, filling the disk the database needs.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import Any

from bot import redaction
from bot.errors import OperatorError, unwritable_dir_message
from bot.settings import Settings

QUIET_LIBRARIES = ("alembic", "httpx", "sentence_transformers", "httpcore", "filelock", "urllib3")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REPEAT_WINDOW = 10.0  # seconds during which a repeated line is counted instead of written
MAX_REMEMBERED = 1000  # distinct lines remembered at once
JUDGED = "_troly_repeat_kept"  # set on a record once RepeatFilter has decided about it
OURS = "_troly_handler"  # marks the handlers installed here, so configuring again replaces them


def configure_logging(settings: Settings, *, service: bool = False) -> None:
    """Install the file and stderr handlers on the root logger (replacing ones installed before)."""
    redaction.install(redaction.settings_secrets(settings))  # secrets never reach a log line, at any level
    remove_handlers()
    root = logging.getLogger()
    formatter = _formatter(settings)
    stderr = CurrentStderr()
    stderr.setLevel(settings.log_level if service else logging.WARNING)
    handlers: list[logging.Handler] = [stderr]
    log_file = settings.resolved_log_file
    if log_file is not None:
        handlers.append(_file_handler(log_file, "TROLY_LOG_FILE" if settings.log_file else "TROLY_DATA_DIR"))
    repeats = RepeatFilter()  # one for both handlers: a record is judged once, whoever asks first
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(repeats)
        setattr(handler, OURS, True)
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    if settings.log_level != "DEBUG":
        for chatty in QUIET_LIBRARIES:
            logging.getLogger(chatty).setLevel(logging.WARNING)


def remove_handlers() -> None:
    """Take off (and close) the handlers installed here: a test that ran the CLI in-process leaves none behind."""
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if getattr(handler, OURS, False)]:
        root.removeHandler(handler)
        handler.close()


class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is when a record is emitted, not as it was when logging was configured
    (pytest and other tools swap it, and a stream kept from before may be closed)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """StreamHandler assigns its stream; the current sys.stderr is always used instead."""


def _file_handler(path: Path, variable: str) -> logging.Handler:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return WatchedFileHandler(path, encoding="utf-8")
    except OSError as error:
        raise OperatorError(unwritable_dir_message(path.parent, variable, error)) from error


def _formatter(settings: Settings) -> logging.Formatter:
    if settings.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"},
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


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
        judged = getattr(record, JUDGED, None)
        if judged is not None:  # another handler with this filter asked about the same record
            return bool(judged)
        keep = self._judge(record)
        setattr(record, JUDGED, keep)
        return keep

    def _judge(self, record: logging.LogRecord) -> bool:
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
