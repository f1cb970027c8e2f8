"""Logging set up once per process from the settings: the CLI's and each core worker process's."""

from __future__ import annotations

import logging
import sys

from bot import redaction
from bot.settings import Settings

QUIET_LIBRARIES = ("alembic", "httpx", "sentence_transformers")


def configure_logging(settings: Settings) -> None:
    redaction.install(redaction.settings_secrets(settings))  # secrets never reach a log line, at any level
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.log_level != "DEBUG":
        for chatty in QUIET_LIBRARIES:
            logging.getLogger(chatty).setLevel(logging.WARNING)
